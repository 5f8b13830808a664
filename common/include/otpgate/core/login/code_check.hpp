// Deciding whether a typed code is a valid, unused TOTP or backup code, at
// a cost that depends on the code's length and the host's settings only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/state/user_state.hpp"

namespace otpgate::core {

enum class CodeVerdict {
    accepted_totp,
    accepted_backup,
    wrong,
    replayed,  // a TOTP step or backup code that was already used
};

std::string_view to_string(CodeVerdict verdict);

using TotpVerification = std::function<TotpVerdict(
    const SecretBytes& key, std::string_view code, std::int64_t unix_time,
    const TotpParameters& params, unsigned window, std::optional<std::int64_t> last_used_step)>;

// The two costly steps a typed code may cost. Logins use these; tests pass
// their own to count what each answer costs.
struct CheckPrimitives {
    BackupHashDerivation derive_backup_hash = core::derive_backup_hash;
    TotpVerification verify_totp = core::verify_totp;
};

// What checking one typed code costs, all of it set by the host: the PBKDF2
// count of backup codes, the TOTP window, and the TOTP parameters that
// users without a TOTP secret are checked with.
struct CheckCost {
    unsigned backup_iterations = default_backup_iterations;
    unsigned totp_window = 1;
    TotpParameters totp;
    CheckPrimitives primitives;
};

CheckCost check_cost(const Config& config, CheckPrimitives primitives = {});

// Bring the state in line with the enrollment: a new enrollment id means a
// new set of backup codes, so the spent-code mask starts empty, and a new
// factor, so no host is remembered (host_tag.hpp). The last used
// TOTP step is kept: time only moves on, so keeping it is always safe.
void adopt_enrollment(UserState& state, const Enrollment& enrollment);

// `digits` must already be normalized (digits only). On acceptance `state`
// is updated in memory; the caller commits it while still holding the lock.
//
// The cost depends on the length alone, never on the user: a code of a
// TOTP length (6 to 8 digits) costs one TOTP check, a code of a length
// some user's backup codes have (is_any_backup_code_length) one derivation
// at the host's count; an 8-digit code costs both. Where the enrollment
// has nothing to check (another method or length, no backup codes, codes
// hashed at another count), the same work is done against decoys.
CodeVerdict check_code(const Enrollment& enrollment, UserState& state, std::string_view digits,
                       std::int64_t unix_time, const CheckCost& cost);

// What check_code costs for `digits`, spent for a user with nothing to
// check: not enrolled, unknown, refused, or locked. Always wrong.
void check_nothing(std::string_view digits, std::int64_t unix_time, const CheckCost& cost);

}  // namespace otpgate::core
