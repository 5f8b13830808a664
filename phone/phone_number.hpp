// Turning what a person types as a phone number into E.164, with
// libphonenumber: national formats in the configured default region,
// and a refusal of ranges that cannot or must not receive codes.
#pragma once

#include <string>
#include <string_view>

#include "otpgate/core/primitives/result.hpp"

namespace otpgate::cli {

struct PhoneNumber {
    std::string e164;
    // Set when libphonenumber does not know the range (reserved or fictional
    // numbers such as the UK's 07700 900xxx): allowed, but worth a word.
    bool unknown_range = false;
};

// A refusal is an invalid_input error whose message names the number.
// `default_region` is an ISO 3166 code such as "GB"; empty means only
// international formats (+44 ...) are understood.
core::Result<PhoneNumber> parse_phone_number(std::string_view typed,
                                             const std::string& default_region);

}  // namespace otpgate::cli
