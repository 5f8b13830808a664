#include "otpgate/core/primitives/digest.hpp"

#include <atomic>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace otpgate::core {
namespace {

std::atomic<EVP_MD*> fetched_sha256{nullptr};
std::atomic<EVP_MAC*> fetched_hmac{nullptr};

// Gives the fetched algorithms back when libpam unloads the module (at
// pam_end), so that each load does not keep its own reference; the objects
// stay in OpenSSL's method cache, which the next load fetches from.
struct FetchedAlgorithms {
    FetchedAlgorithms() = default;
    FetchedAlgorithms(const FetchedAlgorithms&) = delete;
    FetchedAlgorithms& operator=(const FetchedAlgorithms&) = delete;
    ~FetchedAlgorithms() {
        // 0 once OPENSSL_cleanup has run (an application may call it before
        // it exits): OpenSSL has then freed what it had, and ours is left.
        if (OPENSSL_init_crypto(0, nullptr) != 1) {
            return;
        }
        EVP_MD_free(fetched_sha256.exchange(nullptr));
        EVP_MAC_free(fetched_hmac.exchange(nullptr));
    }
};

void give_back_when_unloaded() {
    // Made after OpenSSL's initialisation registered its cleanup at exit:
    // destructors run in the reverse order, so at exit this one runs
    // before that cleanup, and at dlclose while OpenSSL is alive.
    OPENSSL_init_crypto(0, nullptr);
    static const FetchedAlgorithms at_unload;
}

// One fetch per algorithm and process (or module load); a failed fetch is
// not kept, so the next call tries again.
template <typename T>
T* fetched(std::atomic<T*>& slot, T* (*fetch)(OSSL_LIB_CTX*, const char*, const char*),
           void (*release)(T*), const char* name) {
    T* known = slot.load(std::memory_order_acquire);
    if (known != nullptr) {
        return known;
    }
    give_back_when_unloaded();
    T* fresh = fetch(nullptr, name, nullptr);
    if (fresh == nullptr) {
        throw std::runtime_error(std::string("OpenSSL has no ") + name);
    }
    if (!slot.compare_exchange_strong(known, fresh, std::memory_order_acq_rel)) {
        release(fresh);  // another thread stored one first: `known` holds it
        return known;
    }
    return fresh;
}

const char* name_of(HashAlgorithm algorithm) {
    switch (algorithm) {
        case HashAlgorithm::sha1: return "SHA1";
        case HashAlgorithm::sha256: return "SHA256";
        case HashAlgorithm::sha512: return "SHA512";
    }
    throw std::logic_error("unknown hash algorithm");
}

}  // namespace

void sha256(const void* data, std::size_t size, std::uint8_t* out) {
    const EVP_MD* md = fetched(fetched_sha256, &EVP_MD_fetch, &EVP_MD_free, "SHA256");
    // An empty input is legal, but data may be null for it.
    static const std::uint8_t nothing = 0;
    if (EVP_Digest(size == 0 ? &nothing : data, size, out, nullptr, md, nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
}

Sha256Digest sha256(std::string_view text) {
    Sha256Digest out{};
    sha256(text.data(), text.size(), out.data());
    return out;
}

void Hmac::Free::operator()(EVP_MAC_CTX* context) const noexcept {
    EVP_MAC_CTX_free(context);  // wipes the key
}

Hmac::Hmac(HashAlgorithm algorithm, std::span<const std::uint8_t> key)
    : m_context(EVP_MAC_CTX_new(fetched(fetched_hmac, &EVP_MAC_fetch, &EVP_MAC_free, "HMAC"))) {
    if (m_context == nullptr) {
        throw std::bad_alloc();
    }
    // The digest goes by name: OpenSSL 3.0 has no way to hand an HMAC
    // context a fetched digest. One look-up per key, not per message.
    char* digest = const_cast<char*>(name_of(algorithm));
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    // An empty key is legal HMAC input, but data() may be null for it.
    static const std::uint8_t empty_key = 0;
    if (EVP_MAC_init(m_context.get(), key.empty() ? &empty_key : key.data(), key.size(), params) !=
        1) {
        throw std::runtime_error("HMAC set-up failed");
    }
    m_size = EVP_MAC_CTX_get_mac_size(m_context.get());
    if (m_size == 0 || m_size > max_size) {
        throw std::runtime_error("HMAC set-up failed");
    }
}

void Hmac::compute(std::span<const std::uint8_t> message, std::uint8_t* out) {
    // A null key starts again from the key already set up.
    std::size_t written = 0;
    if (EVP_MAC_init(m_context.get(), nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(m_context.get(), message.data(), message.size()) != 1 ||
        EVP_MAC_final(m_context.get(), out, &written, m_size) != 1 || written != m_size) {
        throw std::runtime_error("HMAC computation failed");
    }
}

void pbkdf2_sha256(std::string_view password, std::span<const std::uint8_t> salt,
                   unsigned iterations, std::span<std::uint8_t> out) {
    // Through PKCS5_PBKDF2_HMAC, which fetches PBKDF2 at each derivation:
    // next to a thousand rounds and more the fetch costs nothing, and the
    // tests count derivations by that symbol (tests/pam/pbkdf2_counter.c).
    const EVP_MD* md = fetched(fetched_sha256, &EVP_MD_fetch, &EVP_MD_free, "SHA256");
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                          static_cast<int>(salt.size()), static_cast<int>(iterations), md,
                          static_cast<int>(out.size()), out.data()) != 1) {
        throw std::runtime_error("PBKDF2 failed");
    }
}

}  // namespace otpgate::core
