// otpauth:// URIs as authenticator apps read them (Key Uri Format).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

std::string percent_encode(std::string_view text);

// Why `issuer` cannot name an enrollment in the app (empty, over 256
// characters, a control character), as "expected 1 to 256 characters";
// nullopt when it can. The command and otpgate-verify apply the same rule.
std::optional<std::string> issuer_problem(std::string_view issuer);

// otpauth://totp/ISSUER:USER?secret=...&issuer=...&algorithm=...&digits=...&period=...
SecretString totp_uri(std::string_view issuer, std::string_view account_name,
                      const SecretBytes& secret, const TotpParameters& params);

}  // namespace otpgate::core
