// RFC 4648 base32, the encoding authenticator apps expect for secrets.
#pragma once

#include <optional>
#include <string_view>

#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

// Upper case, no padding (what otpauth:// URIs and apps use).
SecretString base32_encode(const SecretBytes& bytes);

// Tolerates lower case, spaces, dashes and trailing '=' padding; returns
// nullopt on any other character or an impossible length.
std::optional<SecretBytes> base32_decode(std::string_view text);

// "JBSW Y3DP EHPK 3PXP": easier to type from a screen.
SecretString group_in_fours(std::string_view text);

}  // namespace otpgate::core
