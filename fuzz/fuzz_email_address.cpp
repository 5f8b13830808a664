// Destinations: normalize_email (enrollment, the set-uid helper),
// parse_mail_address / is_plain_mail_address (email_from, the SMTP
// recipient), is_e164 and the masks shown at login.
// Invariants: normalization is idempotent; every address normalize_email
// accepts is one the email formatter will send to; parsed addresses are
// plain and display names carry nothing a header could misread.
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/delivery/email_format.hpp"
#include "otpgate/core/primitives/destination.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 1024) {
        return 0;
    }
    const std::string_view text = fuzz::as_text(data, size);

    if (const auto normalized = core::normalize_email(text)) {
        FUZZ_CHECK(core::normalize_email(*normalized) == normalized);
        FUZZ_CHECK(core::is_plain_mail_address(*normalized));
        const auto parsed = core::parse_mail_address(*normalized);
        FUZZ_CHECK(parsed && parsed->address == *normalized && parsed->display_name.empty());
        (void)core::mask_email(*normalized);
        (void)core::destination_fingerprint(core::Channel::email, *normalized);
    }

    if (const auto parsed = core::parse_mail_address(text)) {
        FUZZ_CHECK(core::is_plain_mail_address(parsed->address));
        for (const char c : parsed->display_name) {
            const auto byte = static_cast<unsigned char>(c);
            FUZZ_CHECK((byte >= 0x20 || c == '\t') && byte != 0x7f);
            FUZZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\\');
        }
    }

    if (core::is_e164(text)) {
        FUZZ_CHECK(core::sms_country_allowed(text, {std::string(text.substr(1, 1 + size % 3))}));
        const std::string masked = core::mask_phone(text);
        FUZZ_CHECK(masked.substr(0, 3) == text.substr(0, 3));
        FUZZ_CHECK(masked.substr(masked.size() - 3) == text.substr(text.size() - 3));
    } else {
        FUZZ_CHECK(!core::sms_country_allowed(text, {"1", "44"}));
    }
    (void)core::mask_destination(core::Channel::sms, text);
    (void)core::mask_destination(core::Channel::email, text);
    return 0;
}
