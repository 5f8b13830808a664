// parse_verify_request: the command line of the set-uid otpgate-verify,
// which any local user can run with any arguments (NUL-separated here).
// Invariants: a destination it returns is one the rest of otpgate accepts
// (E.164 with an allowed calling code, or a normalized address); each
// command is returned only for its own words; an issuer it returns is one
// an app can show, and a google-authenticator path is absolute.
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/enrollment/otpauth_uri.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "verify_request.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 4096) {
        return 0;
    }
    const auto parts = fuzz::split(fuzz::as_text(data, size), '\0');
    const std::vector<std::string> arguments(parts.begin(), parts.end());
    core::Config config;
    config.sms_allowed_countries = {"44", "1", "353"};

    const verify::VerifyRequest request = verify::parse_verify_request(arguments, config);
    if (std::holds_alternative<verify::ProveCurrent>(request)) {
        FUZZ_CHECK(arguments.size() == 1 && arguments[0] == "prove");
    } else if (const auto* destination = std::get_if<verify::VerifyDestination>(&request)) {
        FUZZ_CHECK(arguments.size() == 2);
        const std::string word = destination->enroll ? arguments[0].substr(7) : arguments[0];
        FUZZ_CHECK(!destination->enroll || arguments[0].rfind("enroll-", 0) == 0);
        if (destination->channel == core::Channel::sms) {
            FUZZ_CHECK(word == "sms");
            FUZZ_CHECK(core::is_e164(destination->destination));
            FUZZ_CHECK(
                core::sms_country_allowed(destination->destination, config.sms_allowed_countries));
        } else {
            FUZZ_CHECK(word == "email");
            FUZZ_CHECK(core::normalize_email(destination->destination) == destination->destination);
        }
    } else if (const auto* confirm = std::get_if<verify::ConfirmTotp>(&request)) {
        FUZZ_CHECK(!arguments.empty() && arguments.size() <= 2 && arguments[0] == "confirm-totp");
        FUZZ_CHECK(confirm->previous_email.empty() == (arguments.size() == 1));
        FUZZ_CHECK(confirm->previous_email.empty() ||
                   core::normalize_email(confirm->previous_email) == confirm->previous_email);
    } else if (std::holds_alternative<verify::DisableEnrollment>(request)) {
        FUZZ_CHECK(arguments.size() == 1 && arguments[0] == "disable");
    } else if (std::holds_alternative<verify::RenewBackupCodes>(request)) {
        FUZZ_CHECK(arguments.size() == 1 && arguments[0] == "backup-codes");
    } else if (std::holds_alternative<verify::ShowStatus>(request)) {
        FUZZ_CHECK(arguments.size() == 1 && arguments[0] == "status");
    } else if (const auto* enroll = std::get_if<verify::EnrollTotp>(&request)) {
        FUZZ_CHECK(!arguments.empty() && arguments.size() % 2 == 1 && arguments.size() <= 5 &&
                   arguments[0] == "enroll-totp");
        FUZZ_CHECK(!enroll->issuer || !core::issuer_problem(*enroll->issuer));
    } else if (const auto* import = std::get_if<verify::ImportGoogleAuthenticator>(&request)) {
        FUZZ_CHECK(!arguments.empty() && arguments.size() <= 3 &&
                   arguments[0] == "import-google-authenticator");
        FUZZ_CHECK(arguments.size() == 1 + (import->force ? 1U : 0U) + (import->path ? 1U : 0U));
        FUZZ_CHECK(!import->path || (!import->path->empty() && import->path->front() == '/'));
    } else {
        FUZZ_CHECK(!std::get<verify::RequestError>(request).message.empty());
    }
    return 0;
}
