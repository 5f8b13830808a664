// parse_enrollment (~/.otpgate, written by the user's own account, so
// hostile by nature). The first input byte picks whether the rest is used
// as it is, or gets a correct checksum line appended so that the fuzzer
// reaches the key parsing behind the checksum.
// Invariant: an accepted enrollment serializes to text that parses back to
// the same enrollment (and serializes identically again).
#include <openssl/sha.h>

#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/primitives/hex.hpp"

using namespace otpgate;

namespace {

std::string with_checksum(std::string_view body) {
    std::string text(body);
    if (!text.empty() && text.back() != '\n') {
        text.push_back('\n');
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    return text + "checksum = " + core::hex_encode(digest, sizeof digest) + "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || size > 64 * 1024) {
        return 0;
    }
    const std::string_view rest = fuzz::as_text(data + 1, size - 1);
    const std::string text = (data[0] & 1) != 0 ? with_checksum(rest) : std::string(rest);
    const auto parsed = core::parse_enrollment(text);
    if (!parsed) {
        FUZZ_CHECK(parsed.error().kind == core::ErrorKind::corrupt);
        return 0;
    }
    const core::Enrollment& first = *parsed;
    FUZZ_CHECK(first.id.size() == 32 && core::is_lower_hex(first.id));
    const core::SecretString written = core::serialize_enrollment(first);
    const auto reread = core::parse_enrollment(written.view());
    FUZZ_CHECK(reread.ok());
    const core::Enrollment& second = *reread;
    FUZZ_CHECK(second.id == first.id);
    FUZZ_CHECK(second.method == first.method);
    FUZZ_CHECK(second.created == first.created);
    FUZZ_CHECK(second.totp_secret == first.totp_secret);
    FUZZ_CHECK(second.totp.algorithm == first.totp.algorithm);
    FUZZ_CHECK(second.totp.digits == first.totp.digits);
    FUZZ_CHECK(second.totp.period == first.totp.period);
    FUZZ_CHECK(second.destination == first.destination);
    FUZZ_CHECK(second.backup.salt_hex == first.backup.salt_hex);
    FUZZ_CHECK(second.backup.iterations == first.backup.iterations);
    FUZZ_CHECK(second.backup.digits == first.backup.digits);
    FUZZ_CHECK(second.backup.hashes_hex == first.backup.hashes_hex);
    FUZZ_CHECK(core::serialize_enrollment(second).view() == written.view());
    return 0;
}
