// The pieces the config parser is built from, shared by every file that
// adds keys to it (config.cpp for the core keys, delivery_config.cpp for
// providers), so that all keys parse and report errors the same way.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "otpgate/core/primitives/text.hpp"  // has_control_characters, for setters

namespace otpgate::core {

struct Config;

// Applies a value; returns an empty string on success, else what was wrong.
using Setter = std::function<std::string(Config&, std::string_view)>;
using SetterTable = std::map<std::string_view, Setter>;

std::optional<unsigned> parse_unsigned(std::string_view text, unsigned min, unsigned max);
std::optional<bool> parse_bool(std::string_view text);  // yes/no, true/false, on/off, 1/0

// Setters for a field reached through `field` (e.g. [](Config& c) -> auto& { return c.x; }).
Setter unsigned_setter(std::function<unsigned&(Config&)> field, unsigned min, unsigned max);
Setter bool_setter(std::function<bool&(Config&)> field);
// At most max_size printable characters; empty allowed only if allow_empty.
Setter text_setter(std::function<std::string&(Config&)> field, bool allow_empty,
                   std::size_t max_size = 256);

// Defined in delivery_config.cpp: the keys of the message delivery backends.
void add_delivery_settings(SetterTable& table);
// Defined in policy_config.cpp: enforce, groups, exempt networks, lockout.
void add_policy_settings(SetterTable& table);

}  // namespace otpgate::core
