// What the caller of otpgate-verify may ask for, read from a command line
// that is as hostile as everything else the helper gets.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/delivery/message.hpp"

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

// `otpgate-verify confirm-totp [OLD-ADDRESS]`: the otpgate command has
// just saved a new TOTP enrollment that the code on standard input
// confirmed; the helper checks that code against the saved enrollment,
// records its step as spent (so it cannot log in again) and sends the change
// notice. OLD-ADDRESS, the replaced enrollment's email address, gets the
// notice only if root's state shows it verified.
struct ConfirmTotp {
    std::string previous_email;  // normalized; empty for none
};

// `otpgate-verify disable`: the current factor's code, then the enrollment
// is removed and the change announced.
struct DisableEnrollment {};

// `otpgate-verify backup-codes`: the current factor's code, then new backup
// codes are made, saved, shown once, and the change announced.
struct RenewBackupCodes {};

struct RequestError {
    std::string message;
};

using VerifyRequest = std::variant<ProveCurrent, VerifyDestination, ConfirmTotp, DisableEnrollment,
                                   RenewBackupCodes, RequestError>;

// `arguments` excludes argv[0]. Destinations are checked against the
// configuration: E.164 with an allowed calling code, or a plain address.
VerifyRequest parse_verify_request(const std::vector<std::string>& arguments,
                                   const core::Config& config);

std::string_view verify_usage();

}  // namespace otpgate::verify
