// Deciding whether a typed code is a valid, unused TOTP or backup code.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "otpgate/core/enrollment.hpp"
#include "otpgate/core/state_store.hpp"

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

// Bring the state in line with the enrollment: a new enrollment id means a
// new set of backup codes, so the spent-code mask starts empty, and a new
// factor, so no host is remembered (remembered_host.hpp). The last used
// TOTP step is kept: time only moves on, so keeping it is always safe.
void adopt_enrollment(UserState& state, const Enrollment& enrollment);

// `digits` must already be normalized (digits only). On acceptance `state`
// is updated in memory; the caller commits it while still holding the lock.
CodeVerdict check_code(const Enrollment& enrollment, UserState& state, std::string_view digits,
                       std::int64_t unix_time, unsigned totp_window,
                       const CheckPrimitives& primitives = {});

}  // namespace otpgate::core
