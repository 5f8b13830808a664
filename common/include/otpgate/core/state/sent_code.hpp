// A code sent by SMS or email, as the login that sent it remembers it:
// a salted hash and an expiry time, never the digits.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

class SentCode {
public:
    enum class Check { match, mismatch, expired };

    // A new code of `digits` uniform digits valid for `lifetime_seconds`;
    // returns the record and the plain code to send.
    static std::pair<SentCode, SecretString> issue(RandomSource& random, unsigned digits,
                                                   std::int64_t now, unsigned lifetime_seconds);

    // Constant-time comparison; an expired code never matches.
    [[nodiscard]] Check check(std::string_view digits, std::int64_t now) const;
    [[nodiscard]] std::int64_t expires_at() const noexcept { return m_expires_at; }

private:
    SentCode() = default;
    std::array<std::uint8_t, 32> hash_of(std::string_view digits) const;

    std::array<std::uint8_t, 16> m_salt{};
    std::array<std::uint8_t, 32> m_hash{};
    std::int64_t m_expires_at = 0;
};

}  // namespace otpgate::core
