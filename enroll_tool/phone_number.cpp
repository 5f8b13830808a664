#include "phone_number.hpp"

#include <phonenumbers/phonenumberutil.h>

namespace otpgate::cli {
namespace {

using i18n::phonenumbers::PhoneNumberUtil;

// Ranges where an SMS code would be lost or cost the sender money.
const char* refused_type(PhoneNumberUtil::PhoneNumberType type) {
    switch (type) {
        case PhoneNumberUtil::FIXED_LINE: return "a landline";
        case PhoneNumberUtil::PREMIUM_RATE: return "a premium-rate number";
        case PhoneNumberUtil::SHARED_COST: return "a shared-cost number";
        case PhoneNumberUtil::TOLL_FREE: return "a toll-free number";
        case PhoneNumberUtil::UAN: return "a universal access number";
        case PhoneNumberUtil::VOICEMAIL: return "a voicemail access number";
        case PhoneNumberUtil::PAGER: return "a pager number";
        default: return nullptr;
    }
}

}  // namespace

std::variant<PhoneNumber, Failure> parse_phone_number(std::string_view typed,
                                                      const std::string& default_region) {
    const std::string text(typed);
    if (text.empty() || text.size() > 40) {
        return Failure{ExitCode::usage, "expected a phone number such as +44 7700 900123"};
    }
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    i18n::phonenumbers::PhoneNumber number;
    const std::string region = default_region.empty() ? "ZZ" : default_region;
    if (util.Parse(text, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
        !util.IsPossibleNumber(number)) {
        return Failure{ExitCode::usage,
                       "'" + text + "' is not a phone number" +
                           (default_region.empty()
                                ? " (write it with its country code, e.g. +44 7700 900123, or set "
                                  "phone_default_region in the config)"
                                : "")};
    }
    const auto type = util.GetNumberType(number);
    if (const char* refused = refused_type(type)) {
        return Failure{ExitCode::usage, "'" + text + "' is " + refused + ", which cannot receive codes"};
    }
    PhoneNumber out;
    util.Format(number, PhoneNumberUtil::E164, &out.e164);
    out.unknown_range = type == PhoneNumberUtil::UNKNOWN;
    return out;
}

}  // namespace otpgate::cli
