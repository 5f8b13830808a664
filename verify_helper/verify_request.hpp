// What the caller of otpgate-verify may ask for, read from a command line
// that is as hostile as everything else the helper gets.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "otpgate/core/config.hpp"
#include "otpgate/core/message.hpp"

namespace otpgate::verify {

// `otpgate-verify prove`: show a code of the current second factor (TOTP,
// backup, or one sent to the verified destination), recorded like a login.
struct ProveCurrent {};

// `otpgate-verify sms +447700900123` / `otpgate-verify email a@example.com`:
// prove the current factor if there is one, then receive a code at the
// new destination; on success it is recorded as verified.
struct VerifyDestination {
    core::Channel channel = core::Channel::sms;
    std::string destination;  // E.164, or a normalized address
};

struct RequestError {
    std::string message;
};

using VerifyRequest = std::variant<ProveCurrent, VerifyDestination, RequestError>;

// `arguments` excludes argv[0]. Destinations are checked against the
// configuration: E.164 with an allowed calling code, or a plain address.
VerifyRequest parse_verify_request(const std::vector<std::string>& arguments,
                                   const core::Config& config);

std::string_view verify_usage();

}  // namespace otpgate::verify
