// Lower-case hex for salts, hashes and ids in text files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otpgate::core {

std::string hex_encode(const std::uint8_t* data, std::size_t size);
std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text);
bool is_lower_hex(std::string_view text);

}  // namespace otpgate::core
