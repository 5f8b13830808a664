// The benchmark's own TOTP (RFC 6238, SHA1, 6 digits, 30 s): what the
// "phone" types. Computed with OpenSSL, not with otpgate's code, and checked
// once against oathtool before anything is measured.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace otpgate::bench {

inline constexpr std::int64_t totp_period = 30;

std::string totp_code(const std::vector<std::uint8_t>& secret, std::int64_t step);
std::int64_t current_step();
std::string to_hex(const std::vector<std::uint8_t>& bytes);
std::string to_base32(const std::vector<std::uint8_t>& bytes);

// Throws unless oathtool prints the same code as totp_code() for `secret`
// at several steps.
void check_against_oathtool(const std::vector<std::uint8_t>& secret);

}  // namespace otpgate::bench
