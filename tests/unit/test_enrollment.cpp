// The enrollment text format and enrollment_path_for.
#include <string>

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/enrollment/enrollment_store.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

const std::string hash_a = "a2d3f825ad5713be56bdd49ea4b38a24c8cbde4e3eec58678be950e1e144d975";
const std::string hash_b = "b95bad9454a24950efe72193c13a7f65cc9425f9ebb8c2f058a4fd190c254f9b";

Enrollment sample() {
    Enrollment e;
    e.id = "0123456789abcdef0123456789abcdef";
    e.method = Method::totp;
    e.created = 1700000000;
    e.totp_secret = test::bytes_of("12345678901234567890123456789012");
    e.totp = TotpParameters{HashAlgorithm::sha256, 8, 60};
    e.backup.salt_hex = "00112233445566778899aabbccddeeff";
    e.backup.iterations = 1000;
    e.backup.hashes_hex = {hash_a, hash_b};
    return e;
}

void expect_same(const Enrollment& a, const Enrollment& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.method, b.method);
    EXPECT_EQ(a.created, b.created);
    EXPECT_EQ(a.totp_secret, b.totp_secret);
    EXPECT_EQ(a.totp.algorithm, b.totp.algorithm);
    EXPECT_EQ(a.totp.digits, b.totp.digits);
    EXPECT_EQ(a.totp.period, b.totp.period);
    EXPECT_EQ(a.backup.salt_hex, b.backup.salt_hex);
    EXPECT_EQ(a.backup.iterations, b.backup.iterations);
    EXPECT_EQ(a.backup.hashes_hex, b.backup.hashes_hex);
}

std::string fixture_file() {
    return test::read_file(test::data_path("enrollment_v1.txt"));
}

// The fixture without its final checksum line, for tests that change it.
std::string fixture() {
    const std::string text = fixture_file();
    const auto last_line = text.rfind("checksum = ");
    EXPECT_NE(last_line, std::string::npos);
    return text.substr(0, last_line);
}

// Appends the checksum line the format requires, computed with OpenSSL
// directly, so that a test reaches the check it is about.
std::string sign(const std::string& body) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
    static constexpr char hex[] = "0123456789abcdef";
    std::string line = "checksum = ";
    for (const unsigned char b : digest) {
        line.push_back(hex[b >> 4]);
        line.push_back(hex[b & 0x0f]);
    }
    return body + line + "\n";
}

// The fixture with one line replaced (or removed, when `with` is empty).
std::string replace_line(const std::string& text, const std::string& starting_with,
                         const std::string& with) {
    std::string out;
    std::size_t start = 0;
    bool replaced = false;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        end = end == std::string::npos ? text.size() : end + 1;
        const std::string line = text.substr(start, end - start);
        if (!replaced && line.rfind(starting_with, 0) == 0) {
            out += with.empty() ? "" : with + "\n";
            replaced = true;
        } else {
            out += line;
        }
        start = end;
    }
    EXPECT_TRUE(replaced) << starting_with;
    return out;
}

TEST(EnrollmentFormat, HandWrittenFileParses) {
    const auto parsed = parse_enrollment(fixture_file());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    expect_same(*parsed, sample());
    EXPECT_EQ(sign(fixture()), fixture_file());
}

TEST(EnrollmentFormat, SerializeParseRoundTrip) {
    for (const auto algorithm :
         {HashAlgorithm::sha1, HashAlgorithm::sha256, HashAlgorithm::sha512}) {
        Enrollment e = sample();
        e.totp.algorithm = algorithm;
        e.created = -5;  // clocks before 1970 are odd but representable
        const auto parsed = parse_enrollment(serialize_enrollment(e).view());
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        expect_same(*parsed, e);
    }
    Enrollment no_codes = sample();
    no_codes.backup.hashes_hex.clear();
    const auto parsed = parse_enrollment(serialize_enrollment(no_codes).view());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    expect_same(*parsed, no_codes);
}

TEST(EnrollmentFormat, MissingKeysAreRefused) {
    for (const char* key : {"version", "id", "method", "created", "  totp_secret", "totp_algorithm",
                            "totp_digits", "totp_period", "backup_salt", "backup_iterations"}) {
        SCOPED_TRACE(key);
        const auto parsed = parse_enrollment(sign(replace_line(fixture(), key, "")));
        ASSERT_FALSE(parsed.ok());
        EXPECT_EQ(parsed.error().kind, ErrorKind::corrupt);
        EXPECT_NE(parsed.error().message.find("missing"), std::string::npos)
            << parsed.error().message;
    }
}

TEST(EnrollmentFormat, DuplicateKeysAreRefused) {
    const auto parsed = parse_enrollment(sign(fixture() + "totp_digits = 8\n"));
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, ErrorKind::corrupt);
    EXPECT_NE(parsed.error().message.find("twice"), std::string::npos);
}

TEST(EnrollmentFormat, UnknownKeysAndSyntaxErrorsAreRefused) {
    for (const char* extra : {"sms_number = 123\n", "totp_secret\n", "Version = 1\n"}) {
        SCOPED_TRACE(extra);
        const auto parsed = parse_enrollment(sign(fixture() + extra));
        ASSERT_FALSE(parsed.ok());
        EXPECT_EQ(parsed.error().kind, ErrorKind::corrupt);
    }
}

TEST(EnrollmentFormat, BadValuesAreRefused) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"version", "version = 2"},
        {"version", "version = 0"},
        {"version", "version = one"},
        {"version", "version = 1.0"},
        {"id", "id = 0123456789abcdef"},
        {"id", "id = 0123456789ABCDEF0123456789ABCDEF"},
        {"id", "id = 0123456789abcdef0123456789abcdeg"},
        {"method", "method = sms"},
        {"created", "created = yesterday"},
        {"created", "created = "},
        {"  totp_secret", "totp_secret = GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1"},  // '1' is not base32
        {"  totp_secret", "totp_secret = GEZDGNBVGY3TQOA"},                   // 9 bytes: 10 minimum
        {"  totp_secret", "totp_secret = " + std::string(104 + 8, 'A')},      // over 64 bytes
        {"  totp_secret", "totp_secret = GEZDG"},                             // impossible length
        {"totp_algorithm", "totp_algorithm = MD5"},
        {"totp_digits", "totp_digits = 5"},
        {"totp_digits", "totp_digits = 9"},
        {"totp_period", "totp_period = 0"},
        {"totp_period", "totp_period = 301"},
        {"backup_salt", "backup_salt = 0011"},
        {"backup_salt", "backup_salt = 00112233445566778899AABBCCDDEEFF"},
        {"backup_salt", "backup_salt = 00112233445566778899aabbccddeef"},
        {"backup_iterations", "backup_iterations = 999"},
        {"backup_iterations", "backup_iterations = 10000001"},
        {"backup_iterations", "backup_iterations = -1000"},
        {"backup_code = a2", "backup_code = " + hash_a.substr(1)},
        {"backup_code = a2", "backup_code = " + hash_a + "0"},
        {"backup_code = a2",
         "backup_code = A2D3F825AD5713BE56BDD49EA4B38A24C8CBDE4E3EEC58678BE950E1E144D975"},
        {"backup_code = a2",
         "backup_code = z2d3f825ad5713be56bdd49ea4b38a24c8cbde4e3eec58678be950e1e144d975"},
        {"backup_code = a2", "backup_code ="},
    };
    for (const auto& [line, replacement] : cases) {
        SCOPED_TRACE(replacement);
        const auto parsed = parse_enrollment(sign(replace_line(fixture(), line, replacement)));
        ASSERT_FALSE(parsed.ok());
        EXPECT_EQ(parsed.error().kind, ErrorKind::corrupt);
        EXPECT_EQ(parsed.error().message.find("checksum"), std::string::npos)
            << parsed.error().message;
    }
}

TEST(EnrollmentFormat, RecordedBackupCodeLength) {
    // Only imported codes have one; every other file is written as before.
    EXPECT_EQ(std::string(serialize_enrollment(sample()).view()).find("backup_digits"),
              std::string::npos);
    EXPECT_EQ(parse_enrollment(fixture_file())->backup.digits, 0u);
    Enrollment imported = sample();
    imported.totp.digits = 6;
    imported.backup.digits = 8;
    const auto parsed = parse_enrollment(serialize_enrollment(imported).view());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->backup.digits, 8u);

    // A length TOTP codes have too could not be told apart (the fixture's are
    // 8); 5 and 7 are lengths no one's backup codes are looked up at.
    for (const char* bad : {"backup_digits = 8", "backup_digits = 5", "backup_digits = 7",
                            "backup_digits = 17", "backup_digits = ", "backup_digits = eight"}) {
        SCOPED_TRACE(bad);
        const auto refused = parse_enrollment(sign(fixture() + bad + "\n"));
        ASSERT_FALSE(refused.ok());
        EXPECT_NE(refused.error().message.find("backup_digits"), std::string::npos);
    }
    EXPECT_TRUE(parse_enrollment(sign(fixture() + "backup_digits = 9\n")).ok());
    EXPECT_FALSE(
        parse_enrollment(sign(fixture() + "backup_digits = 9\nbackup_digits = 10\n")).ok());
}

TEST(EnrollmentFormat, AtMostSixtyFourBackupCodes) {
    std::string text =
        replace_line(replace_line(fixture(), "backup_code = a2", ""), "backup_code = b9", "");
    for (int i = 0; i < 64; ++i) {
        text += "backup_code = " + hash_a + "\n";
    }
    EXPECT_TRUE(parse_enrollment(sign(text)).ok());
    text += "backup_code = " + hash_b + "\n";
    EXPECT_FALSE(parse_enrollment(sign(text)).ok());
}

TEST(EnrollmentFormat, TruncatedTextIsRefused) {
    // However the file is cut short, it never parses as a smaller
    // enrollment: the checksum line is gone or no longer matches.
    const std::string text(serialize_enrollment(sample()).view());
    const auto checksum_line = text.rfind("checksum = ");
    ASSERT_NE(checksum_line, std::string::npos);
    for (std::size_t cut = 0; cut + 1 < text.size(); ++cut) {
        const auto parsed = parse_enrollment(std::string_view(text).substr(0, cut));
        ASSERT_FALSE(parsed.ok()) << "cut at " << cut;
        EXPECT_EQ(parsed.error().kind, ErrorKind::corrupt);
    }
    // Only the final newline is optional.
    EXPECT_TRUE(parse_enrollment(std::string_view(text).substr(0, text.size() - 1)).ok());
}

TEST(EnrollmentFormat, ChangedOrUnsignedTextIsRefused) {
    const std::string text = fixture_file();
    // Without the checksum line, even a complete text is refused.
    const auto unsigned_text = parse_enrollment(fixture());
    ASSERT_FALSE(unsigned_text.ok());
    EXPECT_NE(unsigned_text.error().message.find("checksum"), std::string::npos);
    // One changed digit of the period, the checksum left as it was.
    std::string edited = text;
    const auto period = edited.find("totp_period = 60");
    ASSERT_NE(period, std::string::npos);
    edited[period + 14] = '3';
    const auto parsed = parse_enrollment(edited);
    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(parsed.error().message.find("checksum does not match"), std::string::npos);
}

class EnrollmentPath : public ::testing::Test {
protected:
    UserAccount alice{"alice", 1000, 1000, "/home/alice"};
};

TEST_F(EnrollmentPath, Expansions) {
    EXPECT_EQ(*enrollment_path_for("%h/.otpgate", alice), "/home/alice/.otpgate");
    EXPECT_EQ(*enrollment_path_for("/var/lib/otp/%u", alice), "/var/lib/otp/alice");
    EXPECT_EQ(*enrollment_path_for("/srv/100%%/%u.%u", alice), "/srv/100%/alice.alice");
    EXPECT_EQ(*enrollment_path_for("/srv//x/./%u", alice), "/srv/x/alice");
    EXPECT_EQ(*enrollment_path_for("/plain/file", alice), "/plain/file");
}

TEST_F(EnrollmentPath, BadTemplates) {
    for (const char* bad :
         {"%h/%x", "/srv/%", "/srv/%U", "%u/.otpgate", "relative/%u", "", "/srv/dir/"}) {
        SCOPED_TRACE(bad);
        const auto path = enrollment_path_for(bad, alice);
        ASSERT_FALSE(path.ok());
        EXPECT_EQ(path.error().kind, ErrorKind::invalid_input);
    }
}

TEST_F(EnrollmentPath, RelativeHomeIsRefused) {
    const UserAccount odd{"odd", 1001, 1001, "home/odd"};
    EXPECT_FALSE(enrollment_path_for("%h/.otpgate", odd).ok());
}

TEST_F(EnrollmentPath, EmptyOrRootHomeIsRefusedForPercentH) {
    // Every such user would share one enrollment path.
    for (const char* home : {"", "/"}) {
        SCOPED_TRACE(home);
        const UserAccount homeless{"daemon", 1, 1, home};
        const auto path = enrollment_path_for("%h/.otpgate", homeless);
        ASSERT_FALSE(path.ok());
        EXPECT_NE(path.error().message.find("home directory"), std::string::npos);
        // A template without %h does not need a home.
        EXPECT_TRUE(enrollment_path_for("/var/lib/otp/%u", homeless).ok());
    }
}

}  // namespace
}  // namespace otpgate::core
