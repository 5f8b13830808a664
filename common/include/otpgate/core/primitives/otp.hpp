// HOTP (RFC 4226) and TOTP (RFC 6238).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "otpgate/core/primitives/digest.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

// HashAlgorithm: digest.hpp.

std::string_view to_string(HashAlgorithm algorithm);  // "SHA1", "SHA256", "SHA512"
std::optional<HashAlgorithm> parse_hash_algorithm(std::string_view text);  // any case

struct TotpParameters {
    HashAlgorithm algorithm = HashAlgorithm::sha1;
    unsigned digits = 6;   // 6 to 8
    unsigned period = 30;  // seconds per step
};

inline constexpr unsigned min_otp_digits = 6;
inline constexpr unsigned max_otp_digits = 8;

// The code for one counter value, zero-padded to `digits`.
SecretString hotp(const SecretBytes& key, std::uint64_t counter, unsigned digits,
                  HashAlgorithm algorithm = HashAlgorithm::sha1);

// The time step that contains `unix_time` (negative times clamp to step 0).
std::int64_t totp_step(std::int64_t unix_time, unsigned period);

SecretString totp(const SecretBytes& key, std::int64_t unix_time, const TotpParameters& params);

enum class TotpMatch { accepted, replayed, wrong };

struct TotpVerdict {
    TotpMatch match = TotpMatch::wrong;
    std::int64_t step = 0;  // the step that matched, for accepted and replayed
};

// Checks `code` against the steps within ±window of `unix_time`. Steps at or
// before `last_used_step` are never accepted again (RFC 6238 section 5.2);
// a code matching only such a step is reported as replayed. Every candidate
// step is computed and compared in constant time, whatever matches.
TotpVerdict verify_totp(const SecretBytes& key, std::string_view code, std::int64_t unix_time,
                        const TotpParameters& params, unsigned window,
                        std::optional<std::int64_t> last_used_step);

}  // namespace otpgate::core
