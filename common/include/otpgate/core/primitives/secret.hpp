// Buffers for secrets: key material, typed codes, backup codes.
// Memory is wiped with OPENSSL_cleanse whenever it is released, including the
// old buffer on reallocation, so no copy of a secret outlives its owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <openssl/crypto.h>

namespace otpgate::core {

template <typename T>
struct WipingAllocator {
    using value_type = T;
    WipingAllocator() noexcept = default;
    template <typename U>
    WipingAllocator(const WipingAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        OPENSSL_cleanse(p, n * sizeof(T));
        std::allocator<T>{}.deallocate(p, n);
    }
    template <typename U>
    bool operator==(const WipingAllocator<U>&) const noexcept {
        return true;
    }
};

using SecretBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

// A string of secret characters. Built on a vector rather than std::string
// because std::string's small-string buffer lives inside the object, where an
// allocator cannot wipe it.
class SecretString {
public:
    SecretString() = default;
    explicit SecretString(std::string_view text) : m_chars(text.begin(), text.end()) {}

    void push_back(char c) { m_chars.push_back(c); }
    void append(const char* chars, std::size_t count) {
        m_chars.insert(m_chars.end(), chars, chars + count);
    }
    void clear() noexcept { m_chars.clear(); }
    [[nodiscard]] bool empty() const noexcept { return m_chars.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return m_chars.size(); }
    [[nodiscard]] std::string_view view() const noexcept {
        return {m_chars.data(), m_chars.size()};
    }
    [[nodiscard]] char operator[](std::size_t i) const { return m_chars[i]; }

private:
    std::vector<char, WipingAllocator<char>> m_chars;
};

// Compares in time that depends only on the lengths, never on where the
// inputs first differ.
bool constant_time_equal(const void* a, std::size_t a_size, const void* b, std::size_t b_size);

inline bool constant_time_equal(std::string_view a, std::string_view b) {
    return constant_time_equal(a.data(), a.size(), b.data(), b.size());
}

}  // namespace otpgate::core
