#include "otpgate/core/primitives/sealed_box.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/evp.h>

namespace otpgate::core {
namespace {

constexpr std::uint8_t box_version = 1;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;

struct CipherContextFree {
    void operator()(EVP_CIPHER_CTX* context) const noexcept { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

CipherContext new_context() {
    CipherContext context(EVP_CIPHER_CTX_new());
    if (!context) {
        throw std::runtime_error("EVP_CIPHER_CTX_new failed");
    }
    return context;
}

const auto* as_bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

Result<SecretBytes> parse_sealing_key(std::string_view hex) {
    const Error wrong{ErrorKind::invalid_input,
                      "store_key must be 64 hex digits (otpgate store init --new-key prints one)"};
    if (hex.size() != 2 * sealing_key_size) {
        return wrong;
    }
    // Decoded straight into a wiping buffer: no copy of the key outlives it.
    SecretBytes key(sealing_key_size);
    for (std::size_t i = 0; i < sealing_key_size; ++i) {
        const int high = hex_digit_value(hex[2 * i]);
        const int low = hex_digit_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            return wrong;
        }
        key[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return key;
}

SecretString new_sealing_key_hex(RandomSource& random) {
    static constexpr char digits[] = "0123456789abcdef";
    const SecretBytes key = random_bytes(random, sealing_key_size);
    SecretString hex;
    for (const std::uint8_t byte : key) {
        hex.push_back(digits[byte >> 4]);
        hex.push_back(digits[byte & 0x0f]);
    }
    return hex;
}

std::vector<std::uint8_t> seal(std::span<const std::uint8_t> key,
                               std::span<const std::uint8_t> plaintext,
                               std::string_view associated_data, RandomSource& random) {
    if (key.size() != sealing_key_size) {
        throw std::invalid_argument("a sealing key has 32 bytes");
    }
    std::vector<std::uint8_t> box(sealed_box_overhead + plaintext.size());
    box[0] = box_version;
    std::uint8_t* const nonce = box.data() + 1;
    std::uint8_t* const ciphertext = nonce + nonce_size;
    std::uint8_t* const tag = ciphertext + plaintext.size();
    random.fill(nonce, nonce_size);

    CipherContext context = new_context();
    int written = 0;
    int finished = 0;
    const bool sealed =
        EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) == 1 &&
        (associated_data.empty() ||
         EVP_EncryptUpdate(context.get(), nullptr, &written, as_bytes(associated_data),
                           static_cast<int>(associated_data.size())) == 1) &&
        (plaintext.empty() ||
         EVP_EncryptUpdate(context.get(), ciphertext, &written, plaintext.data(),
                           static_cast<int>(plaintext.size())) == 1) &&
        EVP_EncryptFinal_ex(context.get(), ciphertext + (plaintext.empty() ? 0 : written),
                            &finished) == 1 &&
        EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size), tag) ==
            1;
    if (!sealed) {
        throw std::runtime_error("AES-256-GCM encryption failed");
    }
    return box;
}

Result<SecretBytes> open_sealed(std::span<const std::uint8_t> key,
                                std::span<const std::uint8_t> box,
                                std::string_view associated_data) {
    const Error cannot_open{ErrorKind::corrupt,
                            "a sealed secret does not open with store_key (another key, "
                            "another user's or enrollment's secret, or altered)"};
    if (key.size() != sealing_key_size) {
        return cannot_open;
    }
    if (box.size() < sealed_box_overhead || box[0] != box_version) {
        return make_error(ErrorKind::corrupt, "a sealed secret is malformed");
    }
    const std::uint8_t* const nonce = box.data() + 1;
    const std::uint8_t* const ciphertext = nonce + nonce_size;
    const std::size_t size = box.size() - sealed_box_overhead;
    const std::uint8_t* const tag = ciphertext + size;

    SecretBytes plaintext(size);
    CipherContext context = new_context();
    int written = 0;
    int finished = 0;
    // The tag is set before EVP_DecryptFinal_ex, which checks it.
    const bool opened =
        EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) == 1 &&
        (associated_data.empty() ||
         EVP_DecryptUpdate(context.get(), nullptr, &written, as_bytes(associated_data),
                           static_cast<int>(associated_data.size())) == 1) &&
        (size == 0 || EVP_DecryptUpdate(context.get(), plaintext.data(), &written, ciphertext,
                                        static_cast<int>(size)) == 1) &&
        EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size),
                            const_cast<std::uint8_t*>(tag)) == 1 &&
        EVP_DecryptFinal_ex(context.get(), plaintext.data() + (size == 0 ? 0 : written),
                            &finished) == 1;
    if (!opened) {
        return cannot_open;
    }
    return plaintext;
}

}  // namespace otpgate::core
