// What a user set up: the method and its secret, and backup code hashes.
// The enrollment changes only when the user (or root) enrolls again; what
// changes at every login lives in the state store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <optional>

#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

enum class Method { totp, sms, email };

std::string_view to_string(Method method);  // "totp", "sms", "email"
std::optional<Method> parse_method(std::string_view text);
// The delivery channel of a method that sends codes; nullopt for TOTP.
std::optional<Channel> channel_of(Method method);

struct Enrollment {
    // Random, new at every write: the state store uses it to tell a fresh
    // set of backup codes from the one whose spent codes it remembers.
    std::string id;
    Method method = Method::totp;
    std::int64_t created = 0;  // Unix time
    // TOTP only.
    SecretBytes totp_secret;
    TotpParameters totp;
    // SMS (E.164) and email only. Codes go here only if the root-owned
    // state holds its fingerprint (see destination.hpp).
    std::string destination;
    BackupCodeHashes backup;
};

inline constexpr int enrollment_format_version = 1;

// A `key = value` text with a version line, documented in otpgate.conf(5).
// `backup_digits` appears only for imported backup codes, so files written
// before it existed, and every other file, stay as they were.
SecretString serialize_enrollment(const Enrollment& enrollment);

// Strict: every required key once, every value valid, unknown keys refused
// (a future version's file must not be half-understood).
Result<Enrollment> parse_enrollment(std::string_view text);

}  // namespace otpgate::core
