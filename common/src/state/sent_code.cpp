#include "otpgate/core/state/sent_code.hpp"

#include "otpgate/core/primitives/digest.hpp"

namespace otpgate::core {

std::pair<SentCode, SecretString> SentCode::issue(RandomSource& random, unsigned digits,
                                                  std::int64_t now, unsigned lifetime_seconds) {
    SentCode record;
    random.fill(record.m_salt.data(), record.m_salt.size());
    SecretString code = random_digits(random, digits);
    record.m_hash = record.hash_of(code.view());
    record.m_expires_at = now + static_cast<std::int64_t>(lifetime_seconds);
    return {record, std::move(code)};
}

std::array<std::uint8_t, 32> SentCode::hash_of(std::string_view digits) const {
    SecretBytes input(m_salt.begin(), m_salt.end());
    input.insert(input.end(), digits.begin(), digits.end());
    std::array<std::uint8_t, 32> out{};
    sha256(input.data(), input.size(), out.data());
    return out;
}

SentCode::Check SentCode::check(std::string_view digits, std::int64_t now) const {
    const auto typed = hash_of(digits);
    const bool same = constant_time_equal(typed.data(), typed.size(), m_hash.data(), m_hash.size());
    if (now > m_expires_at) {
        return Check::expired;
    }
    return same ? Check::match : Check::mismatch;
}

}  // namespace otpgate::core
