#include "otpgate/core/primitives/secret.hpp"

#include <algorithm>

namespace otpgate::core {

bool constant_time_equal(const void* a, std::size_t a_size, const void* b, std::size_t b_size) {
    // Compare over the shorter length so we never read past either buffer;
    // the length check is folded in without an early return.
    const std::size_t n = std::min(a_size, b_size);
    const int same_bytes = (n == 0) ? 0 : CRYPTO_memcmp(a, b, n);
    return (same_bytes == 0) & (a_size == b_size);
}

}  // namespace otpgate::core
