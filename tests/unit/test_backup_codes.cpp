#include <set>
#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

constexpr unsigned fast_iterations = 1000;  // the minimum an enrollment file accepts

TEST(BackupCodes, CountLengthUniquenessAndStoredForm) {
    OpenSslRandom random;
    const auto made = make_backup_codes(random, 12, 10, fast_iterations);
    ASSERT_EQ(made.codes.size(), 12u);
    ASSERT_EQ(made.stored.hashes_hex.size(), 12u);
    EXPECT_EQ(made.stored.iterations, fast_iterations);
    EXPECT_EQ(made.stored.salt_hex.size(), 32u);
    std::set<std::string> codes;
    std::set<std::string> hashes;
    for (std::size_t i = 0; i < made.codes.size(); ++i) {
        const std::string code = test::text_of(made.codes[i]);
        ASSERT_EQ(code.size(), 10u);
        EXPECT_EQ(code.find_first_not_of("0123456789"), std::string::npos) << code;
        codes.insert(code);
        EXPECT_EQ(made.stored.hashes_hex[i].size(), 64u);
        hashes.insert(made.stored.hashes_hex[i]);
    }
    EXPECT_EQ(codes.size(), 12u);
    EXPECT_EQ(hashes.size(), 12u);
}

TEST(BackupCodes, EveryCodeIsFoundAtItsIndex) {
    OpenSslRandom random;
    const auto made = make_backup_codes(random, 5, 12, fast_iterations);
    for (unsigned i = 0; i < made.codes.size(); ++i) {
        EXPECT_EQ(find_backup_code(made.stored, made.codes[i].view(), fast_iterations),
                  std::optional<unsigned>(i));
    }
}

TEST(BackupCodes, HashesArePbkdf2AsPythonComputesThem) {
    OpenSslRandom random;
    const auto made = make_backup_codes(random, 2, 10, fast_iterations);
    for (std::size_t i = 0; i < made.codes.size(); ++i) {
        const auto result = test::run_command(
            {"/usr/bin/python3", "-c",
             "import hashlib,sys; print(hashlib.pbkdf2_hmac('sha256', sys.argv[1].encode(), "
             "bytes.fromhex(sys.argv[2]), int(sys.argv[3])).hex())",
             test::text_of(made.codes[i]), made.stored.salt_hex,
             std::to_string(made.stored.iterations)});
        ASSERT_EQ(result.exit_code, 0);
        EXPECT_EQ(result.output, made.stored.hashes_hex[i] + "\n");
    }
}

TEST(BackupCodes, HashesFromTheHandWrittenEnrollmentAreFound) {
    // tests/data/enrollment_v1.txt holds hashes made by Python's hashlib.
    const auto enrollment = parse_enrollment(test::read_file(test::data_path("enrollment_v1.txt")));
    ASSERT_TRUE(enrollment.ok()) << enrollment.error().message;
    EXPECT_EQ(find_backup_code(enrollment->backup, "1234567890", 1000), std::optional<unsigned>(0));
    EXPECT_EQ(find_backup_code(enrollment->backup, "9876543210123", 1000),
              std::optional<unsigned>(1));
    EXPECT_FALSE(find_backup_code(enrollment->backup, "1234567891", 1000).has_value());
}

TEST(BackupCodes, WrongCodesAreNotFound) {
    OpenSslRandom random;
    const auto made = make_backup_codes(random, 3, 10, fast_iterations);
    const std::string code = test::text_of(made.codes[0]);
    std::string off_by_one = code;
    off_by_one.back() = off_by_one.back() == '9' ? '0' : static_cast<char>(off_by_one.back() + 1);
    EXPECT_FALSE(find_backup_code(made.stored, off_by_one, fast_iterations).has_value());
    EXPECT_FALSE(find_backup_code(made.stored, code.substr(1), fast_iterations).has_value());
    EXPECT_FALSE(find_backup_code(made.stored, code + "0", fast_iterations).has_value());
    EXPECT_FALSE(find_backup_code(made.stored, "", fast_iterations).has_value());
    EXPECT_FALSE(find_backup_code(made.stored, std::string(65, '1'), fast_iterations).has_value());
    // The same code under other parameters is a different hash.
    BackupCodeHashes other = made.stored;
    other.iterations = fast_iterations + 1;
    EXPECT_FALSE(find_backup_code(other, code, fast_iterations).has_value());
    other = made.stored;
    other.salt_hex[0] = other.salt_hex[0] == '0' ? '1' : '0';
    EXPECT_FALSE(find_backup_code(other, code, fast_iterations).has_value());
    other.salt_hex = "not hex";
    EXPECT_FALSE(find_backup_code(other, code, fast_iterations).has_value());
}

// The count in a set is the user's to write: a lookup derives once at the
// host's count whatever the set holds, and a set hashed at another count
// matches nothing, not even its own right code.
TEST(BackupCodes, ALookupCostsOneDerivationAtTheHostsCountWhateverTheSet) {
    OpenSslRandom random;
    const auto made = make_backup_codes(random, 2, 10, fast_iterations);
    const std::string code = test::text_of(made.codes[1]);
    std::vector<unsigned> counts;
    const BackupHashDerivation counting =
        [&counts](std::string_view digits, const std::vector<std::uint8_t>& salt, unsigned count) {
            counts.push_back(count);
            return derive_backup_hash(digits, salt, count);
        };
    EXPECT_EQ(find_backup_code(made.stored, code, fast_iterations, counting),
              std::optional<unsigned>(1));

    BackupCodeHashes dearer = made.stored;
    dearer.iterations = 10'000'000;
    EXPECT_FALSE(find_backup_code(dearer, code, fast_iterations, counting).has_value());
    BackupCodeHashes cheaper = made.stored;  // as if the host had raised its count
    EXPECT_FALSE(find_backup_code(cheaper, code, fast_iterations * 2, counting).has_value());
    BackupCodeHashes damaged = made.stored;
    damaged.salt_hex = "not hex";
    EXPECT_FALSE(find_backup_code(damaged, code, fast_iterations, counting).has_value());
    EXPECT_FALSE(find_backup_code(BackupCodeHashes{}, code, fast_iterations, counting).has_value());
    EXPECT_EQ(counts, (std::vector<unsigned>{fast_iterations, fast_iterations, fast_iterations * 2,
                                             fast_iterations, fast_iterations}));
}

TEST(BackupCodes, DuplicateDrawsAreSkipped) {
    // Two 64-bit values of salt, then one value per digit.
    std::vector<std::uint64_t> script = {0x1111, 0x2222};
    for (const std::uint64_t digit : {std::uint64_t{1}, std::uint64_t{1}, std::uint64_t{2}}) {
        script.insert(script.end(), 10, digit);
    }
    test::ScriptedRandom random(script);
    const auto made = make_backup_codes(random, 2, 10, fast_iterations);
    ASSERT_EQ(made.codes.size(), 2u);
    EXPECT_EQ(made.codes[0].view(), "1111111111");
    EXPECT_EQ(made.codes[1].view(), "2222222222");
    EXPECT_EQ(random.remaining(), 0u);
}

TEST(BackupCodes, Limits) {
    OpenSslRandom random;
    EXPECT_THROW(
        static_cast<void>(make_backup_codes(random, max_backup_codes + 1, 10, fast_iterations)),
        std::invalid_argument);
    EXPECT_THROW(static_cast<void>(
                     make_backup_codes(random, 1, max_backup_code_digits + 1, fast_iterations)),
                 std::invalid_argument);
    // A code no longer than a TOTP code could never be told apart from one.
    EXPECT_GT(min_backup_code_digits, max_otp_digits);
    EXPECT_THROW(static_cast<void>(make_backup_codes(random, 1, max_otp_digits, fast_iterations)),
                 std::invalid_argument);
    const auto none = make_backup_codes(random, 0, 10, fast_iterations);
    EXPECT_TRUE(none.codes.empty());
    EXPECT_TRUE(none.stored.hashes_hex.empty());
    const auto longest = make_backup_codes(random, 1, max_backup_code_digits, fast_iterations);
    EXPECT_EQ(longest.codes[0].size(), max_backup_code_digits);
}

TEST(BackupCodes, CodesMadeElsewhereKeepTheirLength) {
    OpenSslRandom random;
    const std::vector<SecretString> codes = {SecretString("12345678"), SecretString("87654321")};
    const BackupCodeHashes stored = hash_backup_codes(random, codes, 8, fast_iterations);
    EXPECT_EQ(stored.digits, 8u);
    EXPECT_EQ(stored.iterations, fast_iterations);
    EXPECT_EQ(find_backup_code(stored, "87654321", fast_iterations), std::optional<unsigned>(1));
    EXPECT_FALSE(find_backup_code(stored, "1234567", fast_iterations).has_value());
    // A new salt each time: the same codes never hash alike twice.
    EXPECT_NE(hash_backup_codes(random, codes, 8, fast_iterations).hashes_hex, stored.hashes_hex);

    EXPECT_THROW(static_cast<void>(hash_backup_codes(random, codes, 9, fast_iterations)),
                 std::invalid_argument);
    EXPECT_THROW(static_cast<void>(
                     hash_backup_codes(random, {SecretString("1234567x")}, 8, fast_iterations)),
                 std::invalid_argument);
    EXPECT_THROW(
        static_cast<void>(hash_backup_codes(random, {SecretString("12345")}, 5, fast_iterations)),
        std::invalid_argument);
    const std::vector<SecretString> too_many(max_backup_codes + 1, SecretString("12345678"));
    EXPECT_THROW(static_cast<void>(hash_backup_codes(random, too_many, 8, fast_iterations)),
                 std::invalid_argument);
}

TEST(BackupCodes, WhichLengthsAreLookedUp) {
    BackupCodeHashes own;  // otpgate's: anything longer than a TOTP code
    EXPECT_FALSE(is_backup_code_length(own, max_otp_digits));
    EXPECT_TRUE(is_backup_code_length(own, min_backup_code_digits));
    EXPECT_TRUE(is_backup_code_length(own, max_backup_code_digits));
    BackupCodeHashes imported;
    imported.digits = 8;  // exactly the recorded length
    EXPECT_TRUE(is_backup_code_length(imported, 8));
    EXPECT_FALSE(is_backup_code_length(imported, 6));
    EXPECT_FALSE(is_backup_code_length(imported, 10));
}

TEST(BackupCodes, Format) {
    EXPECT_EQ(format_backup_code("1234567890"), "12345-67890");
    EXPECT_EQ(format_backup_code("123456789"), "12345-6789");
    EXPECT_EQ(format_backup_code("1234567890123456"), "12345678-90123456");
}

}  // namespace
}  // namespace otpgate::core
