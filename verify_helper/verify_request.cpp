#include "verify_request.hpp"

#include "otpgate/core/enrollment/otpauth_uri.hpp"
#include "otpgate/core/primitives/destination.hpp"

namespace otpgate::verify {
namespace {

// Longer than any E.164 number or RFC 5321 address.
constexpr std::size_t max_argument_length = 320;

VerifyRequest phone_request(const std::string& number, const core::Config& config) {
    if (!core::is_e164(number)) {
        return RequestError{"not a phone number in E.164 form (+ and 8 to 15 digits)"};
    }
    if (!core::sms_country_allowed(number, config.sms_allowed_countries)) {
        return RequestError{
            "SMS to that number is not allowed: its country calling code is not "
            "in sms_allowed_countries"};
    }
    return VerifyDestination{core::Channel::sms, number};
}

VerifyRequest email_request(const std::string& address) {
    auto normalized = core::normalize_email(address);
    if (!normalized) {
        return RequestError{"not an email address"};
    }
    return VerifyDestination{core::Channel::email, std::move(*normalized)};
}

VerifyRequest enroll_destination_request(const std::vector<std::string>& arguments,
                                         const core::Config& config) {
    VerifyRequest request = arguments[0] == "enroll-sms" ? phone_request(arguments[1], config)
                                                         : email_request(arguments[1]);
    if (auto* destination = std::get_if<VerifyDestination>(&request)) {
        destination->enroll = true;
    }
    return request;
}

// enroll-totp [--issuer NAME] [--qr STYLE], each option at most once.
VerifyRequest enroll_totp_request(const std::vector<std::string>& arguments) {
    EnrollTotp request;
    bool qr_given = false;
    for (std::size_t i = 1; i < arguments.size(); i += 2) {
        if (i + 1 >= arguments.size()) {
            return RequestError{"option " + arguments[i] + " without its value"};
        }
        const std::string& value = arguments[i + 1];
        if (arguments[i] == "--issuer" && !request.issuer) {
            if (auto problem = core::issuer_problem(value)) {
                return RequestError{"--issuer: " + *problem};
            }
            request.issuer = value;
        } else if (arguments[i] == "--qr" && !qr_given) {
            const auto style = cli::parse_qr_style(value);
            if (!style) {
                return RequestError{"--qr: not a QR style"};
            }
            request.qr = *style;
            qr_given = true;
        } else {
            return RequestError{"unexpected arguments"};
        }
    }
    return request;
}

// import-google-authenticator [--force] [PATH], in that order; PATH absolute.
VerifyRequest import_request(const std::vector<std::string>& arguments) {
    ImportGoogleAuthenticator request;
    std::size_t next = 1;
    if (next < arguments.size() && arguments[next] == "--force") {
        request.force = true;
        ++next;
    }
    if (next < arguments.size()) {
        const std::string& path = arguments[next];
        if (path.empty() || path.front() != '/') {
            return RequestError{"the google-authenticator file must be named by an absolute path"};
        }
        request.path = path;
        ++next;
    }
    if (next != arguments.size()) {
        return RequestError{"unexpected arguments"};
    }
    return request;
}

std::string masked(const VerifyDestination& request) {
    return core::mask_destination(request.channel, request.destination);
}

}  // namespace

std::string_view verify_usage() {
    return "usage: otpgate-verify prove\n"
           "       otpgate-verify sms +E164NUMBER\n"
           "       otpgate-verify email ADDRESS\n"
           "       otpgate-verify confirm-totp [OLD-ADDRESS] < CODE\n"
           "       otpgate-verify disable\n"
           "       otpgate-verify backup-codes\n"
           "       otpgate-verify enroll-totp [--issuer NAME] [--qr STYLE]\n"
           "       otpgate-verify enroll-sms +E164NUMBER\n"
           "       otpgate-verify enroll-email ADDRESS\n"
           "       otpgate-verify import-google-authenticator [--force] [/PATH]\n"
           "       otpgate-verify status\n"
           "Run by otpgate; acts only for the user who runs it.\n";
}

VerifyRequest parse_verify_request(const std::vector<std::string>& arguments,
                                   const core::Config& config) {
    for (const std::string& argument : arguments) {
        if (argument.size() > max_argument_length) {
            return RequestError{"argument too long"};
        }
    }
    if (arguments.size() == 1 && arguments[0] == "prove") {
        return ProveCurrent{};
    }
    if (arguments.size() == 2 && arguments[0] == "sms") {
        return phone_request(arguments[1], config);
    }
    if (arguments.size() == 2 && arguments[0] == "email") {
        return email_request(arguments[1]);
    }
    if (!arguments.empty() && arguments.size() <= 2 && arguments[0] == "confirm-totp") {
        if (arguments.size() == 1) {
            return ConfirmTotp{};
        }
        auto previous = email_request(arguments[1]);
        if (auto* destination = std::get_if<VerifyDestination>(&previous)) {
            return ConfirmTotp{std::move(destination->destination)};
        }
        return previous;
    }
    if (arguments.size() == 1 && arguments[0] == "disable") {
        return DisableEnrollment{};
    }
    if (arguments.size() == 1 && arguments[0] == "backup-codes") {
        return RenewBackupCodes{};
    }
    if (arguments.size() == 1 && arguments[0] == "status") {
        return ShowStatus{};
    }
    if (arguments.size() == 2 && (arguments[0] == "enroll-sms" || arguments[0] == "enroll-email")) {
        return enroll_destination_request(arguments, config);
    }
    if (!arguments.empty() && arguments.size() <= 5 && arguments[0] == "enroll-totp") {
        return enroll_totp_request(arguments);
    }
    if (!arguments.empty() && arguments.size() <= 3 &&
        arguments[0] == "import-google-authenticator") {
        return import_request(arguments);
    }
    return RequestError{"unexpected arguments"};
}

std::string describe_request(const VerifyRequest& request) {
    struct Describe {
        std::string operator()(const ProveCurrent&) const { return "prove"; }
        std::string operator()(const VerifyDestination& r) const {
            const char* word = r.channel == core::Channel::sms ? "sms " : "email ";
            return (r.enroll ? "enroll-" : "") + (word + masked(r));
        }
        std::string operator()(const ConfirmTotp&) const { return "confirm-totp"; }
        std::string operator()(const DisableEnrollment&) const { return "disable"; }
        std::string operator()(const RenewBackupCodes&) const { return "backup-codes"; }
        std::string operator()(const EnrollTotp&) const { return "enroll-totp"; }
        std::string operator()(const ImportGoogleAuthenticator& r) const {
            return std::string("import-google-authenticator") + (r.force ? " --force" : "") +
                   (r.path ? " " + *r.path : std::string());
        }
        std::string operator()(const ShowStatus&) const { return "status"; }
        std::string operator()(const RequestError& r) const { return "refused: " + r.message; }
    };
    return std::visit(Describe{}, request);
}

}  // namespace otpgate::verify
