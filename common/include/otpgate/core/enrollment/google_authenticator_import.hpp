// From a ~/.google_authenticator file to an otpgate enrollment that keeps
// working with the same authenticator app (same secret, algorithm, digits
// and step), and a plain account of what was and was not carried over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/enrollment/google_authenticator_file.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/state/user_state.hpp"

namespace otpgate::core {

struct GoogleAuthenticatorImport {
    Enrollment enrollment;  // TOTP; scratch codes as 8-digit backup codes
    // One line each, for people; never a secret or a code.
    std::vector<std::string> carried;
    std::vector<std::string> not_carried;
    // The newest step google-authenticator recorded as used, if plausible:
    // whoever may write the state marks it used there, so that the last
    // code typed under google-authenticator cannot log in once more.
    std::optional<std::int64_t> used_step;
};

// invalid_input, with the reason, for a file that describes what otpgate
// cannot check at login, so that nothing is imported that would lock the
// user out: counter-based codes (HOTP), no TOTP at all, a step under 10
// seconds, a secret outside 80 to 512 bits, more than max_backup_codes
// scratch codes. `config` supplies only what is global in otpgate (the
// window), for the report.
Result<GoogleAuthenticatorImport> import_google_authenticator(const GoogleAuthenticatorFile& file,
                                                              const Config& config,
                                                              RandomSource& random,
                                                              std::int64_t now);

// Importing the same file again must not bring back scratch codes that
// were spent as backup codes of the earlier import: removes from `file`
// every scratch code that `state` marks as used in `previous`, or every one
// when `previous` was hashed at another count than the host's `iterations`.
// Returns how many were removed.
std::size_t drop_spent_scratch_codes(GoogleAuthenticatorFile& file, const Enrollment& previous,
                                     const UserState& state, unsigned iterations);

}  // namespace otpgate::core
