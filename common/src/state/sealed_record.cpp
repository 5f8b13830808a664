#include "sealed_record.hpp"

#include <cstring>

#include <openssl/crypto.h>

#include "otpgate/core/primitives/digest.hpp"

namespace otpgate::core {

static_assert(SealedRecordFormat::checksum_size == sha256_size);

void SealedRecordFormat::start(std::uint8_t* record) const noexcept {
    std::memset(record, 0, m_size);
    std::memcpy(record, m_magic.data(), m_magic.size());
}

void SealedRecordFormat::seal(std::uint8_t* record) const {
    sha256(record, checksum_offset(), record + checksum_offset());  // throws when it fails
}

bool SealedRecordFormat::check(const std::uint8_t* record) const {
    // The magic first: a record of another kind (or none) costs no hash.
    if (CRYPTO_memcmp(record, m_magic.data(), m_magic.size()) != 0) {
        return false;
    }
    std::array<std::uint8_t, checksum_size> checksum{};
    sha256(record, checksum_offset(), checksum.data());
    return CRYPTO_memcmp(checksum.data(), record + checksum_offset(), checksum.size()) == 0;
}

}  // namespace otpgate::core
