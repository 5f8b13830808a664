// otpauth:// URIs as authenticator apps read them (Key Uri Format).
#pragma once

#include <string>
#include <string_view>

#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

std::string percent_encode(std::string_view text);

// otpauth://totp/ISSUER:USER?secret=...&issuer=...&algorithm=...&digits=...&period=...
SecretString totp_uri(std::string_view issuer, std::string_view account_name,
                      const SecretBytes& secret, const TotpParameters& params);

}  // namespace otpgate::core
