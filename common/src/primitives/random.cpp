#include "otpgate/core/primitives/random.hpp"

#include <limits>
#include <stdexcept>

#include <openssl/rand.h>

#include "otpgate/core/primitives/hex.hpp"

namespace otpgate::core {

void OpenSslRandom::fill(std::uint8_t* out, std::size_t size) {
    if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
        RAND_bytes(out, static_cast<int>(size)) != 1) {
        throw std::runtime_error("the system random number generator failed");
    }
}

SecretBytes random_bytes(RandomSource& random, std::size_t size) {
    SecretBytes bytes(size);
    random.fill(bytes.data(), bytes.size());
    return bytes;
}

std::uint64_t uniform_below(RandomSource& random, std::uint64_t bound) {
    if (bound == 0) {
        throw std::invalid_argument("uniform_below: empty range");
    }
    // Draws landing in the incomplete top block [limit, 2^64) are rejected;
    // everything below limit maps onto [0, bound) exactly evenly.
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                (std::numeric_limits<std::uint64_t>::max() % bound);
    while (true) {
        std::uint64_t draw = 0;
        random.fill(reinterpret_cast<std::uint8_t*>(&draw), sizeof draw);
        if (draw < limit) {
            return draw % bound;
        }
    }
}

SecretString random_digits(RandomSource& random, unsigned digits) {
    SecretString out;
    for (unsigned i = 0; i < digits; ++i) {
        out.push_back(static_cast<char>('0' + uniform_below(random, 10)));
    }
    return out;
}

std::string random_hex(RandomSource& random, std::size_t bytes) {
    const SecretBytes raw = random_bytes(random, bytes);
    return hex_encode(raw.data(), raw.size());
}

}  // namespace otpgate::core
