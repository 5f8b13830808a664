// Randomness for secrets and codes, from OpenSSL's CSPRNG.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

class RandomSource {
public:
    virtual ~RandomSource() = default;
    // Fills the buffer or throws std::runtime_error: running without
    // randomness is a resource failure, never an outcome to work around.
    virtual void fill(std::uint8_t* out, std::size_t size) = 0;
};

class OpenSslRandom final : public RandomSource {
public:
    void fill(std::uint8_t* out, std::size_t size) override;
};

// Secret key bytes of the given length.
SecretBytes random_bytes(RandomSource& random, std::size_t size);

// A uniformly distributed integer in [0, bound) by rejection sampling,
// so no value is more likely than another (no modulo bias).
std::uint64_t uniform_below(RandomSource& random, std::uint64_t bound);

// A string of `digits` decimal digits, each uniform and independent.
SecretString random_digits(RandomSource& random, unsigned digits);

// A non-secret identifier in hex, e.g. for enrollment ids and temp names.
std::string random_hex(RandomSource& random, std::size_t bytes);

}  // namespace otpgate::core
