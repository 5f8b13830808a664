#include "otpgate/core/primitives/otp.hpp"

#include <array>
#include <cctype>
#include <limits>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace otpgate::core {
namespace {

const EVP_MD* digest_of(HashAlgorithm algorithm) {
    switch (algorithm) {
        case HashAlgorithm::sha1: return EVP_sha1();
        case HashAlgorithm::sha256: return EVP_sha256();
        case HashAlgorithm::sha512: return EVP_sha512();
    }
    throw std::logic_error("unknown hash algorithm");
}

constexpr std::array<std::uint32_t, 9> powers_of_ten = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

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
    if (digits < 1 || digits >= powers_of_ten.size()) {
        throw std::invalid_argument("hotp: digits out of range");
    }
    if (key.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw std::invalid_argument("hotp: key too long");
    }
    std::array<std::uint8_t, 8> message{};
    for (int i = 7; i >= 0; --i) {
        message[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter & 0xff);
        counter >>= 8;
    }
    SecretBytes mac(EVP_MAX_MD_SIZE);
    unsigned int mac_size = 0;
    // An empty key is legal HMAC input, but data() may be null for it.
    static const std::uint8_t empty_key = 0;
    const std::uint8_t* key_data = key.empty() ? &empty_key : key.data();
    if (HMAC(digest_of(algorithm), key_data, static_cast<int>(key.size()), message.data(),
             message.size(), mac.data(), &mac_size) == nullptr) {
        throw std::runtime_error("HMAC computation failed");
    }
    // Dynamic truncation, RFC 4226 section 5.3.
    const std::size_t offset = mac[mac_size - 1] & 0x0f;
    std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                           (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                           (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                           static_cast<std::uint32_t>(mac[offset + 3]);
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

std::int64_t totp_step(std::int64_t unix_time, unsigned period) {
    if (period == 0) {
        throw std::invalid_argument("totp: period must be positive");
    }
    return unix_time < 0 ? 0 : unix_time / static_cast<std::int64_t>(period);
}

SecretString totp(const SecretBytes& key, std::int64_t unix_time, const TotpParameters& params) {
    return hotp(key, static_cast<std::uint64_t>(totp_step(unix_time, params.period)),
                params.digits, params.algorithm);
}

TotpVerdict verify_totp(const SecretBytes& key, std::string_view code, std::int64_t unix_time,
                        const TotpParameters& params, unsigned window,
                        std::optional<std::int64_t> last_used_step) {
    const std::int64_t now_step = totp_step(unix_time, params.period);
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
            hotp(key, static_cast<std::uint64_t>(step), params.digits, params.algorithm);
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
    verdict.match = accepted ? TotpMatch::accepted : (replayed ? TotpMatch::replayed : TotpMatch::wrong);
    return verdict;
}

}  // namespace otpgate::core
