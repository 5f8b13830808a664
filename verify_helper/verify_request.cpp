#include "verify_request.hpp"

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

}  // namespace

std::string_view verify_usage() {
    return "usage: otpgate-verify prove\n"
           "       otpgate-verify sms +E164NUMBER\n"
           "       otpgate-verify email ADDRESS\n"
           "       otpgate-verify confirm-totp [OLD-ADDRESS] < CODE\n"
           "       otpgate-verify disable\n"
           "       otpgate-verify backup-codes\n"
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
    return RequestError{"unexpected arguments"};
}

}  // namespace otpgate::verify
