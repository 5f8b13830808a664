#include "config_setters.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>

#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {

Setter find_setter(std::string_view key) {
    for (const auto table : {general_key_setters(), delivery_key_setters(), policy_key_setters()}) {
        const auto found = std::lower_bound(
            table.begin(), table.end(), key,
            [](const KeySetter& entry, std::string_view wanted) { return entry.key < wanted; });
        if (found != table.end() && found->key == key) {
            return found->set;
        }
    }
    return nullptr;
}

std::optional<unsigned> parse_unsigned(std::string_view text, unsigned min, unsigned max) {
    unsigned value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || text.empty() || value < min || value > max) {
        return std::nullopt;
    }
    return value;
}

std::optional<bool> parse_bool(std::string_view text) {
    const std::string lower = ascii_lowercase(text.substr(0, 8));
    if (lower == "yes" || lower == "true" || lower == "on" || lower == "1") {
        return true;
    }
    if (lower == "no" || lower == "false" || lower == "off" || lower == "0") {
        return false;
    }
    return std::nullopt;
}

std::string set_unsigned(unsigned& field, std::string_view value, unsigned min, unsigned max) {
    const auto parsed = parse_unsigned(value, min, max);
    if (!parsed) {
        return "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    }
    field = *parsed;
    return {};
}

std::string set_bool(bool& field, std::string_view value) {
    const auto parsed = parse_bool(value);
    if (!parsed) {
        return "expected yes or no";
    }
    field = *parsed;
    return {};
}

std::string set_text(std::string& field, std::string_view value, bool allow_empty,
                     std::size_t max_size) {
    if (!allow_empty && value.empty()) {
        return "must not be empty";
    }
    if (value.size() > max_size || has_control_characters(value)) {
        return "must be at most " + std::to_string(max_size) + " printable characters";
    }
    field = std::string(value);
    return {};
}

}  // namespace otpgate::core
