// The seal of every fixed-size record in the state directory (the state
// slots, the replay fence slots, the host send log): an 8-byte magic first,
// the fields, then a SHA-256 of every byte before it. A torn or damaged
// write fails the check and the record is not read; anyone who may write
// the file can reseal it, so the checksum is against accidents, not
// attackers (the directory's owner and modes are). Layouts:
// docs/state-records.md. Private to the library.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace otpgate::core {

class SealedRecordFormat {
public:
    static constexpr std::size_t magic_size = 8;
    static constexpr std::size_t checksum_size = 32;  // SHA-256

    // `magic` is 8 characters ("OTPGST01"); `size` counts the whole
    // record, magic and checksum included.
    constexpr SealedRecordFormat(const char (&magic)[magic_size + 1], std::size_t size)
        : m_size(size) {
        for (std::size_t i = 0; i < magic_size; ++i) {
            m_magic[i] = static_cast<std::uint8_t>(magic[i]);
        }
    }

    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_size; }
    // Where the fields end and the checksum begins.
    [[nodiscard]] constexpr std::size_t checksum_offset() const noexcept {
        return m_size - checksum_size;
    }

    // Zeroes the record and writes the magic: the fields go between
    // magic_size and checksum_offset(), and unused bytes stay zero.
    void start(std::uint8_t* record) const noexcept;
    // Writes the checksum of everything before it.
    void seal(std::uint8_t* record) const;
    // True when the magic is this format's and the checksum matches.
    [[nodiscard]] bool check(const std::uint8_t* record) const;
    // Both throw std::runtime_error when OpenSSL cannot hash (out of
    // memory): a record that cannot be sealed must not be written as if
    // it were, and one that cannot be checked is not damaged (a damaged
    // record is dropped or refused, which a passing failure must not do).

private:
    std::array<std::uint8_t, magic_size> m_magic{};
    std::size_t m_size;
};

}  // namespace otpgate::core
