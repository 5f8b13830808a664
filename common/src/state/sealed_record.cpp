#include "sealed_record.hpp"

#include <cstring>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "otpgate/core/primitives/digest.hpp"

namespace otpgate::core {
namespace {

static_assert(SealedRecordFormat::checksum_size == SHA256_DIGEST_LENGTH);

void hash(const std::uint8_t* bytes, std::size_t size, std::uint8_t* out) {
    sha256(bytes, size, out);  // throws when it fails
}

}  // namespace

void SealedRecordFormat::start(std::uint8_t* record) const noexcept {
    std::memset(record, 0, m_size);
    std::memcpy(record, m_magic.data(), m_magic.size());
}

void SealedRecordFormat::seal(std::uint8_t* record) const {
    hash(record, checksum_offset(), record + checksum_offset());
}

bool SealedRecordFormat::check(const std::uint8_t* record) const {
    // The magic first: a record of another kind (or none) costs no hash.
    if (CRYPTO_memcmp(record, m_magic.data(), m_magic.size()) != 0) {
        return false;
    }
    std::array<std::uint8_t, checksum_size> checksum{};
    hash(record, checksum_offset(), checksum.data());
    return CRYPTO_memcmp(checksum.data(), record + checksum_offset(), checksum.size()) == 0;
}

}  // namespace otpgate::core
