// The two bits of JSON the delivery layer needs: escaping a string and
// checking that a rendered gateway body is well-formed. A gateway body is a
// template, not a document we build: values are escaped into it (by hand,
// json_text.cpp says why), and the result is checked with nlohmann::json
// (header-only: nothing more is linked or loaded).
#pragma once

#include <string>
#include <string_view>

#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

// Appends `value` as the inside of a JSON string (RFC 8259): `"` and `\`
// escaped, control characters as \n, \t, ... or \u00XX, the characters
// that act like controls (is_hidden_control in safe_text.hpp) as \uXXXX,
// so that JSON shown at a terminal is safe as it is; other valid UTF-8
// passed through unchanged, invalid UTF-8 bytes replaced by U+FFFD.
void append_json_escaped(std::string& out, std::string_view value);
void append_json_escaped(SecretString& out, std::string_view value);

// True when `text` is exactly one JSON value (RFC 8259), nesting at most 32
// levels deep, with UTF-16 surrogate escapes only in high-low pairs, no
// byte order mark, and numbers within a double's range. Never for a text
// that holds a secret: the parser copies what it reads into buffers that
// are not wiped. Throws nothing but std::bad_alloc.
bool is_valid_json(std::string_view text);

}  // namespace otpgate::core
