// The words of a login dialogue that both flows share: how a typed answer
// is read, and what the prompt after a refused one says.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

// Strips what people type between digits: spaces, dashes, dots, tabs.
// Returns nullopt when anything else than digits remains.
std::optional<SecretString> normalize_typed_code(std::string_view typed);

// What the prompt after a refused answer starts with, in every dialogue:
// "Wrong code. " (or that a sent code expired), and on the last try the
// help line as well. Wrong, replayed and unchecked (locked, not enrolled)
// answers all read the same.
std::string wrong_code_note(const Config& config, bool last_try, bool expired = false);

}  // namespace otpgate::core
