// Phone numbers and email addresses as otpgate stores, shows and checks
// them. Parsing national formats is the CLI's job (libphonenumber); here
// numbers are already E.164.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otpgate::core {

// How a code reaches a person who does not use an app.
enum class Channel { sms, email };

// '+', then 8 to 15 digits, the first not 0 (ITU-T E.164).
bool is_e164(std::string_view number);

// A plain addr-spec (local@domain), the domain in lower case; nullopt for
// anything a mail header could misread (spaces, quotes, CR/LF, brackets,
// commas) or longer than RFC 5321 allows.
std::optional<std::string> normalize_email(std::string_view address);

// "+44•••••••789" and "a•••@example.com": enough to recognise, not to use.
std::string mask_phone(std::string_view e164);
std::string mask_email(std::string_view address);
std::string mask_destination(Channel channel, std::string_view destination);

// What the state store keeps of a verified destination: SHA-256 (hex) of
// the channel and the destination, so the root-owned record proves which
// destination was verified without holding a copy of it.
std::string destination_fingerprint(Channel channel, std::string_view destination);

// Whether an E.164 number's country calling code is in the allow-list
// (codes without '+', e.g. {"44", "49", "1"}). Calling codes are prefix-free,
// so a prefix test is exact. An empty list allows nothing.
bool sms_country_allowed(std::string_view e164, const std::vector<std::string>& calling_codes);

std::string_view to_string(Channel channel);  // "SMS", "email"

}  // namespace otpgate::core
