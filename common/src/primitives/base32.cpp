#include "otpgate/core/primitives/base32.hpp"

namespace otpgate::core {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int decode_symbol(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a';
    }
    if (c >= '2' && c <= '7') {
        return c - '2' + 26;
    }
    return -1;
}

}  // namespace

SecretString base32_encode(const SecretBytes& bytes) {
    SecretString out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const std::uint8_t byte : bytes) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            out.push_back(alphabet[(buffer >> (bits - 5)) & 0x1f]);
            bits -= 5;
        }
    }
    if (bits > 0) {
        out.push_back(alphabet[(buffer << (5 - bits)) & 0x1f]);
    }
    buffer = 0;
    return out;
}

std::optional<SecretBytes> base32_decode(std::string_view text) {
    SecretBytes out;
    std::uint32_t buffer = 0;
    int bits = 0;
    std::size_t symbols = 0;
    bool padding_seen = false;
    for (const char c : text) {
        if (c == ' ' || c == '-' || c == '\t') {
            continue;
        }
        if (c == '=') {
            padding_seen = true;
            continue;
        }
        const int value = decode_symbol(c);
        if (value < 0 || padding_seen) {
            return std::nullopt;
        }
        ++symbols;
        buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<std::uint8_t>((buffer >> (bits - 8)) & 0xff));
            bits -= 8;
        }
    }
    buffer = 0;
    // Symbol counts of 1, 3 and 6 (mod 8) cannot come from whole bytes.
    const std::size_t rest = symbols % 8;
    if (rest == 1 || rest == 3 || rest == 6) {
        return std::nullopt;
    }
    return out;
}

SecretString group_in_fours(std::string_view text) {
    SecretString out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i > 0 && i % 4 == 0) {
            out.push_back(' ');
        }
        out.push_back(text[i]);
    }
    return out;
}

}  // namespace otpgate::core
