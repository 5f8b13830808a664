// What the caller of otpgate-verify may ask for, read from a command line
// that is as hostile as everything else the helper gets.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "qr_style.hpp"

namespace otpgate::verify {

// `otpgate-verify prove`: show a code of the current second factor (TOTP,
// backup, or one sent to the verified destination), recorded like a login.
struct ProveCurrent {};

// `otpgate-verify sms +447700900123` / `otpgate-verify email a@example.com`:
// prove the current factor if there is one, then receive a code at the
// new destination; on success it is recorded as verified.
// `enroll-sms` / `enroll-email` (store = local, where the user cannot write
// their enrollment): the same, and then the helper saves the new enrollment.
struct VerifyDestination {
    core::Channel channel = core::Channel::sms;
    std::string destination;  // E.164, or a normalized address
    bool enroll = false;
};

// `otpgate-verify enroll-totp [--issuer NAME] [--qr STYLE]` (store = local):
// the current factor's code if enrolled, then a new secret made here, shown
// once, and saved only after a code from the app confirms it.
struct EnrollTotp {
    std::optional<std::string> issuer;  // 1 to 256 characters, no control ones
    cli::QrStyle qr = cli::QrStyle::automatic;
};

// `otpgate-verify import-google-authenticator [--force] [PATH]` (store =
// local): the caller's google-authenticator file (their
// ~/.google_authenticator, or an absolute PATH), read with their own
// file-system identity, becomes their enrollment. --force replaces an
// existing enrollment, after its code.
struct ImportGoogleAuthenticator {
    std::optional<std::string> path;
    bool force = false;
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

// `otpgate-verify status` (store = local): what the caller has enrolled,
// without a secret: the method (a destination masked), since when, and how
// many backup codes are left.
struct ShowStatus {};

struct RequestError {
    std::string message;
};

using VerifyRequest =
    std::variant<ProveCurrent, VerifyDestination, ConfirmTotp, DisableEnrollment, RenewBackupCodes,
                 EnrollTotp, ImportGoogleAuthenticator, ShowStatus, RequestError>;

// `arguments` excludes argv[0]. Destinations are checked against the
// configuration: E.164 with an allowed calling code, or a plain address.
VerifyRequest parse_verify_request(const std::vector<std::string>& arguments,
                                   const core::Config& config);

std::string_view verify_usage();

// The request in a few words for the log: "enroll-sms +44•••••••123".
std::string describe_request(const VerifyRequest& request);

}  // namespace otpgate::verify
