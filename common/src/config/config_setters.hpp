// The pieces the config parser is built from, shared by the files of this
// folder that hold keys (general_keys.cpp, delivery_keys.cpp,
// policy_keys.cpp), so that all keys parse and report errors the same way.
// Internal to config/: the rest of the core sees only config.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace otpgate::core {

struct Config;

// Applies a value; returns an empty string on success, else what was wrong.
// A plain function, so that every table of keys is a constant: the module
// is loaded anew for each sshd connection, and nothing is built then.
using Setter = std::string (*)(Config&, std::string_view);

struct KeySetter {
    std::string_view key;
    Setter set;
};

// Lookups search by halves: each table is sorted by key, no key twice
// (a static_assert beside each table).
constexpr bool sorted_and_unique(std::span<const KeySetter> table) {
    for (std::size_t i = 1; i < table.size(); ++i) {
        if (!(table[i - 1].key < table[i].key)) {
            return false;
        }
    }
    return true;
}

// The three tables; a key is in one of them only (a unit test checks).
std::span<const KeySetter> general_key_setters();   // general_keys.cpp
std::span<const KeySetter> delivery_key_setters();  // delivery_keys.cpp
std::span<const KeySetter> policy_key_setters();    // policy_keys.cpp

// The setter of a key, or nullptr for an unknown one.
Setter find_setter(std::string_view key);

std::optional<unsigned> parse_unsigned(std::string_view text, unsigned min, unsigned max);
std::optional<bool> parse_bool(std::string_view text);  // yes/no, true/false, on/off, 1/0

// Setters of a plain field, for the tables' one-line entries.
std::string set_unsigned(unsigned& field, std::string_view value, unsigned min, unsigned max);
std::string set_bool(bool& field, std::string_view value);
// At most max_size printable characters; empty allowed only if allow_empty.
std::string set_text(std::string& field, std::string_view value, bool allow_empty,
                     std::size_t max_size = 256);

}  // namespace otpgate::core
