// Fixed-width little-endian integers in the root-owned records (the state
// slots, the replay fence, the host send log): byte order spelled out, so a
// record reads the same whatever the compiler does with a struct. Private
// to the library.
#pragma once

#include <cstdint>

namespace otpgate::core::little_endian {

template <typename Unsigned>
void put(std::uint8_t* at, Unsigned value) {
    for (unsigned i = 0; i < sizeof(Unsigned); ++i) {
        at[i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
}

template <typename Unsigned>
Unsigned get(const std::uint8_t* at) {
    Unsigned value = 0;
    for (unsigned i = sizeof(Unsigned); i-- > 0;) {
        value = static_cast<Unsigned>((value << 8) | at[i]);
    }
    return value;
}

inline void put_u32(std::uint8_t* at, std::uint32_t value) {
    put(at, value);
}
inline void put_u64(std::uint8_t* at, std::uint64_t value) {
    put(at, value);
}
inline std::uint32_t get_u32(const std::uint8_t* at) {
    return get<std::uint32_t>(at);
}
inline std::uint64_t get_u64(const std::uint8_t* at) {
    return get<std::uint64_t>(at);
}

}  // namespace otpgate::core::little_endian
