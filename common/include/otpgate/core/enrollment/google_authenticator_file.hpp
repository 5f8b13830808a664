// The ~/.google_authenticator file of google-authenticator-libpam, as
// Debian's `google-authenticator` tool writes it and
// pam_google_authenticator.so updates it at each login (FILEFORMAT in that
// project): the base32 secret on the first line, then option lines that
// start with `" `, then 8-digit scratch codes, one per line. Read for
// `otpgate import google-authenticator`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {

// pam_google_authenticator refuses larger files too.
inline constexpr std::size_t max_google_authenticator_file_size = 64 * 1024;
inline constexpr unsigned google_authenticator_scratch_digits = 8;
inline constexpr unsigned google_authenticator_digits = 6;  // the module knows no other

struct GoogleAuthenticatorRateLimit {
    unsigned logins = 0;   // at most this many logins ...
    unsigned seconds = 0;  // ... in this many seconds
};

struct GoogleAuthenticatorFile {
    SecretBytes secret;
    bool totp = false;  // " TOTP_AUTH"
    // " HOTP_COUNTER n": counter-based codes. The module uses them instead
    // of TOTP whenever n is 1 or more.
    std::optional<std::int64_t> hotp_counter;
    unsigned step_size = 30;      // " STEP_SIZE n", seconds per TOTP step (1 to 60)
    unsigned window_size = 3;     // " WINDOW_SIZE n": codes accepted around now (1 to 100)
    bool disallow_reuse = false;  // " DISALLOW_REUSE [step ...]"
    // The newest step listed after DISALLOW_REUSE: the phone's counter
    // (time step plus skew) of the last code used.
    std::optional<std::int64_t> newest_used_step;
    std::optional<GoogleAuthenticatorRateLimit> rate_limit;  // " RATE_LIMIT n m [time ...]"
    // " TIME_SKEW n": the module learned that the phone's clock is n steps
    // off, and adds n to its own step.
    std::int64_t time_skew = 0;
    // Names of options this parser does not know, for the report; their
    // values are never kept (they could hold anything).
    std::vector<std::string> unknown_options;
    std::vector<SecretString> scratch_codes;  // in file order, duplicates dropped
};

// Stricter than the module, which ignores what it does not understand: an
// import must not half-understand a file. Refuses (corrupt) NUL bytes, a
// file over max_google_authenticator_file_size, a first line that is not
// base32, an option twice or with a bad value, and any line that is neither
// an option, blank, nor a scratch code (8 digits, the first not 0). Error
// messages name lines, never their content, which may be secret.
Result<GoogleAuthenticatorFile> parse_google_authenticator_file(std::string_view text);

// The text of `account`'s google-authenticator file at `path`, read with
// that user's file-system identity (privilege_drop.hpp) and never through a
// symlink: the file must be theirs, a regular file, with nothing for group
// and others (google-authenticator writes 0400, and its module refuses
// more). not_found when it does not exist; unsafe, with the reason, when
// refused.
Result<SecretString> read_google_authenticator_text(const UserAccount& account,
                                                    const std::filesystem::path& path);

}  // namespace otpgate::core
