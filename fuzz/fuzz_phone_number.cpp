// parse_phone_number (phone/phone_number.cpp, libphonenumber): what a
// person types after `otpgate enroll sms`. The first input byte picks the
// default region (none, a common one, or two letters from the next bytes).
// Invariants: an accepted number is E.164 as the rest of otpgate checks it
// (core::is_e164, which the enrollment parser and the set-uid helper
// apply), and normalizing it again changes nothing.
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "phone_number.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || size > 64) {
        return 0;
    }
    static const char* const regions[] = {"", "GB", "US", "DE", "FR", "IN", "NU", "JP"};
    std::string region;
    std::size_t skip = 1;
    if ((data[0] & 0x80) != 0 && size >= 3) {
        region = {static_cast<char>('A' + data[1] % 26), static_cast<char>('A' + data[2] % 26)};
        skip = 3;
    } else {
        region = regions[data[0] % (sizeof regions / sizeof regions[0])];
    }
    const std::string_view typed = fuzz::as_text(data + skip, size - skip);
    const auto parsed = cli::parse_phone_number(typed, region);
    if (!parsed) {
        return 0;
    }
    if (!core::is_e164(parsed->e164)) {
        std::fprintf(stderr, "accepted '%s' as %s, which is_e164 refuses\n",
                     std::string(typed).c_str(), parsed->e164.c_str());
    }
    FUZZ_CHECK(core::is_e164(parsed->e164));
    const auto again = cli::parse_phone_number(parsed->e164, region);
    FUZZ_CHECK(again.ok() && again->e164 == parsed->e164);
    return 0;
}
