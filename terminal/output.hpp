// What the commands print on stdout, and how times and parameters read.
// Everything goes through the terminal-safe writers of safe_text.hpp: the
// text quotes names, addresses and lines of users' files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::cli {

// Text with line feeds where lines end; any other control is escaped.
void print(std::string_view text);

// The QR code as qr_render drew it, colour codes included: the one output
// that passes raw, made of our own bytes (the URI is encoded as modules).
void print_qr_code(const core::SecretString& drawing);

// Text from outside (a name, an error that quotes a user's file) as one
// table cell or field: a line feed in it cannot start a row of its own.
std::string as_field(std::string_view text);

// For notes on stderr that are not errors ("otpgate: warning: ...").
void print_warning(std::string_view text);

// "2023-11-14 22:13:30 UTC"
std::string format_utc(std::int64_t unix_time);

// "SHA1, 6 digits, new code every 30 seconds"
std::string describe_totp(const core::TotpParameters& params);

// The plain backup codes, numbered, with the note that they are shown once.
void print_backup_codes(const std::vector<core::SecretString>& codes);

// Whether everything printed so far reached stdout (a full disk or a closed
// pipe would otherwise lose backup codes silently).
bool stdout_healthy();

}  // namespace otpgate::cli
