// SHA-256, HMAC and PBKDF2 through OpenSSL 3, the digests and HMAC fetched
// once per process (and module load). The one-shot calls (SHA256(),
// HMAC()) look their algorithm up by name at every call, which was about
// a tenth of the module's work in a TOTP login. Failures throw: fail closed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include <openssl/types.h>

namespace otpgate::core {

enum class HashAlgorithm { sha1, sha256, sha512 };

inline constexpr std::size_t sha256_size = 32;
using Sha256Digest = std::array<std::uint8_t, sha256_size>;

// SHA-256 of `size` bytes at `data` into `out`, which holds sha256_size bytes.
void sha256(const void* data, std::size_t size, std::uint8_t* out);
Sha256Digest sha256(std::string_view text);

// HMAC under one key, for one message or several (a TOTP check computes
// every step of its window with the same key, which is set up once).
// The key lives only inside OpenSSL's context, which wipes it when freed.
class Hmac {
public:
    Hmac(HashAlgorithm algorithm, std::span<const std::uint8_t> key);

    // The MAC of `message` into `out`, which holds at least size() bytes.
    void compute(std::span<const std::uint8_t> message, std::uint8_t* out);
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }

    // The most any algorithm here gives (SHA-512).
    static constexpr std::size_t max_size = 64;

private:
    struct Free {
        void operator()(EVP_MAC_CTX* context) const noexcept;
    };
    std::unique_ptr<EVP_MAC_CTX, Free> m_context;
    std::size_t m_size = 0;
};

// PBKDF2-HMAC-SHA256 (RFC 8018) of `password` into all of `out`.
void pbkdf2_sha256(std::string_view password, std::span<const std::uint8_t> salt,
                   unsigned iterations, std::span<std::uint8_t> out);

}  // namespace otpgate::core
