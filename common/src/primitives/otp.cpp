#include "otpgate/core/primitives/otp.hpp"

#include <array>
#include <cctype>
#include <stdexcept>

#include <openssl/crypto.h>

namespace otpgate::core {
namespace {

constexpr std::array<std::uint32_t, 9> powers_of_ten = {1,      10,      100,      1000,     10000,
                                                        100000, 1000000, 10000000, 100000000};

// The code for one counter value, under a key already set up in `mac`.
SecretString hotp_with(Hmac& mac, std::uint64_t counter, unsigned digits) {
    if (digits < 1 || digits >= powers_of_ten.size()) {
        throw std::invalid_argument("hotp: digits out of range");
    }
    std::array<std::uint8_t, 8> message{};
    for (int i = 7; i >= 0; --i) {
        message[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter & 0xff);
        counter >>= 8;
    }
    std::array<std::uint8_t, Hmac::max_size> digest{};
    mac.compute(message, digest.data());
    // Dynamic truncation, RFC 4226 section 5.3.
    const std::size_t offset = digest[mac.size() - 1] & 0x0f;
    std::uint32_t binary = (static_cast<std::uint32_t>(digest[offset] & 0x7f) << 24) |
                           (static_cast<std::uint32_t>(digest[offset + 1]) << 16) |
                           (static_cast<std::uint32_t>(digest[offset + 2]) << 8) |
                           static_cast<std::uint32_t>(digest[offset + 3]);
    OPENSSL_cleanse(digest.data(), digest.size());
    std::uint32_t value = binary % powers_of_ten[digits];
    binary = 0;
    SecretString out;
    // Fill from the right, then copy, so no std::string ever holds the code.
    std::array<char, 8> buffer{};
    for (unsigned i = digits; i > 0; --i) {
        buffer[i - 1] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    for (unsigned i = 0; i < digits; ++i) {
        out.push_back(buffer[i]);
    }
    OPENSSL_cleanse(buffer.data(), buffer.size());
    return out;
}

}  // namespace

std::string_view to_string(HashAlgorithm algorithm) {
    switch (algorithm) {
        case HashAlgorithm::sha1: return "SHA1";
        case HashAlgorithm::sha256: return "SHA256";
        case HashAlgorithm::sha512: return "SHA512";
    }
    return "?";
}

std::optional<HashAlgorithm> parse_hash_algorithm(std::string_view text) {
    std::string upper;
    for (const char c : text) {
        if (c != '-') {
            upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
        }
    }
    if (upper == "SHA1") {
        return HashAlgorithm::sha1;
    }
    if (upper == "SHA256") {
        return HashAlgorithm::sha256;
    }
    if (upper == "SHA512") {
        return HashAlgorithm::sha512;
    }
    return std::nullopt;
}

SecretString hotp(const SecretBytes& key, std::uint64_t counter, unsigned digits,
                  HashAlgorithm algorithm) {
    Hmac mac(algorithm, key);
    return hotp_with(mac, counter, digits);
}

std::int64_t totp_step(std::int64_t unix_time, unsigned period) {
    if (period == 0) {
        throw std::invalid_argument("totp: period must be positive");
    }
    return unix_time < 0 ? 0 : unix_time / static_cast<std::int64_t>(period);
}

SecretString totp(const SecretBytes& key, std::int64_t unix_time, const TotpParameters& params) {
    return hotp(key, static_cast<std::uint64_t>(totp_step(unix_time, params.period)), params.digits,
                params.algorithm);
}

TotpVerdict verify_totp(const SecretBytes& key, std::string_view code, std::int64_t unix_time,
                        const TotpParameters& params, unsigned window,
                        std::optional<std::int64_t> last_used_step) {
    const std::int64_t now_step = totp_step(unix_time, params.period);
    Hmac mac(params.algorithm, key);  // one key set-up for every step
    TotpVerdict verdict;
    bool accepted = false;
    bool replayed = false;
    // Every step in the window is computed and compared; the earliest
    // unused match wins so that a code is never spent twice.
    for (std::int64_t step = now_step - static_cast<std::int64_t>(window);
         step <= now_step + static_cast<std::int64_t>(window); ++step) {
        if (step < 0) {
            continue;
        }
        const SecretString expected =
            hotp_with(mac, static_cast<std::uint64_t>(step), params.digits);
        const bool matches = constant_time_equal(expected.view(), code);
        const bool already_used = last_used_step.has_value() && step <= *last_used_step;
        if (matches && !already_used && !accepted) {
            accepted = true;
            verdict.step = step;
        } else if (matches && already_used && !accepted && !replayed) {
            replayed = true;
            verdict.step = step;
        }
    }
    verdict.match =
        accepted ? TotpMatch::accepted : (replayed ? TotpMatch::replayed : TotpMatch::wrong);
    return verdict;
}

}  // namespace otpgate::core
