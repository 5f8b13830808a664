#include "phone_number.hpp"

#include <phonenumbers/phonenumberutil.h>

#include "otpgate/core/primitives/destination.hpp"

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

bool reads_back_as_itself(const PhoneNumberUtil& util, const std::string& e164) {
    i18n::phonenumbers::PhoneNumber number;
    if (util.Parse(e164, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
        return false;
    }
    std::string again;
    util.Format(number, PhoneNumberUtil::E164, &again);
    return again == e164;
}

}  // namespace

core::Result<PhoneNumber> parse_phone_number(std::string_view typed,
                                             const std::string& default_region) {
    const std::string text(typed);
    if (text.empty() || text.size() > 40) {
        return core::make_error(core::ErrorKind::invalid_input,
                                "expected a phone number such as +61 491 570 156");
    }
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    i18n::phonenumbers::PhoneNumber number;
    const std::string region = default_region.empty() ? "ZZ" : default_region;
    if (util.Parse(text, region, &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
        !util.IsPossibleNumber(number)) {
        return core::make_error(
            core::ErrorKind::invalid_input,
            "'" + text + "' is not a phone number" +
                (default_region.empty()
                     ? " (write it with its country code, e.g. +61 491 570 156, or set "
                       "phone_default_region in the config)"
                     : ""));
    }
    const auto type = util.GetNumberType(number);
    if (const char* refused = refused_type(type)) {
        return core::make_error(core::ErrorKind::invalid_input,
                                "'" + text + "' is " + refused + ", which cannot receive codes");
    }
    PhoneNumber out;
    util.Format(number, PhoneNumberUtil::E164, &out.e164);
    // What is stored must be E.164 as the rest of otpgate checks it, and
    // must stand for the same number when read back: libphonenumber keeps
    // leading zeros of unknown ranges ("+440082769124" reads back as
    // "+44082769124"), and very short ranges have under 8 digits.
    if (!core::is_e164(out.e164) || !reads_back_as_itself(util, out.e164)) {
        return core::make_error(core::ErrorKind::invalid_input,
                                "'" + text + "' is not a phone number that can receive codes");
    }
    out.unknown_range = type == PhoneNumberUtil::UNKNOWN;
    return out;
}

}  // namespace otpgate::cli
