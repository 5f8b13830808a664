// Secrets sealed for storage somewhere others can read (a shared database
// and its backups): AES-256-GCM under `store_key`, the 256-bit key every
// host of a fleet holds in its credentials file.
//
// A sealed box is: one version byte (1), a random 12-byte nonce, the
// ciphertext, and the 16-byte GCM tag. The associated data names what the
// box is for ("enrollment", the user name and the enrollment id), so a box
// copied into another user's row, or under another enrollment id, does not
// open: a database administrator can delete secrets, never move them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

inline constexpr std::size_t sealing_key_size = 32;
inline constexpr std::size_t sealed_box_overhead = 1 + 12 + 16;

// `store_key` as written in otpgate.secrets: exactly 64 hex digits.
// invalid_input otherwise (the message never repeats the value).
Result<SecretBytes> parse_sealing_key(std::string_view hex);

// A fresh key in the form parse_sealing_key() reads (`otpgate store init`
// prints one).
SecretString new_sealing_key_hex(RandomSource& random);

// `key` must be sealing_key_size bytes (std::invalid_argument otherwise: a
// caller's bug). Throws std::runtime_error only when OpenSSL fails.
std::vector<std::uint8_t> seal(std::span<const std::uint8_t> key,
                               std::span<const std::uint8_t> plaintext,
                               std::string_view associated_data, RandomSource& random);

// corrupt when the box is malformed, was sealed under another key or
// other associated data, or was altered.
Result<SecretBytes> open_sealed(std::span<const std::uint8_t> key,
                                std::span<const std::uint8_t> box,
                                std::string_view associated_data);

}  // namespace otpgate::core
