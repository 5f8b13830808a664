#include "otpgate/core/code_check.hpp"

namespace otpgate::core {

std::string_view to_string(CodeVerdict verdict) {
    switch (verdict) {
        case CodeVerdict::accepted_totp: return "TOTP code accepted";
        case CodeVerdict::accepted_backup: return "backup code accepted";
        case CodeVerdict::wrong: return "wrong code";
        case CodeVerdict::replayed: return "replayed code";
    }
    return "?";
}

void adopt_enrollment(UserState& state, const Enrollment& enrollment) {
    if (state.enrollment_id != enrollment.id) {
        state.enrollment_id = enrollment.id;
        state.backup_used_mask = 0;
        state.remembered_hosts.clear();
    }
}

CodeVerdict check_code(const Enrollment& enrollment, UserState& state, std::string_view digits,
                       std::int64_t unix_time, unsigned totp_window,
                       const CheckPrimitives& primitives) {
    adopt_enrollment(state, enrollment);
    // Lengths tell the kinds apart: TOTP codes have 6 to 8 digits, backup
    // codes at least 9 (or their recorded length, never the TOTP length),
    // so a typed code costs at most one kind of check.
    if (enrollment.method == Method::totp && digits.size() == enrollment.totp.digits) {
        const TotpVerdict verdict = primitives.verify_totp(enrollment.totp_secret, digits, unix_time,
                                                enrollment.totp, totp_window, state.last_totp_step);
        switch (verdict.match) {
            case TotpMatch::accepted:
                state.last_totp_step = verdict.step;
                return CodeVerdict::accepted_totp;
            case TotpMatch::replayed: return CodeVerdict::replayed;
            case TotpMatch::wrong: return CodeVerdict::wrong;
        }
    }
    if (is_backup_code_length(enrollment.backup, digits.size()) &&
        !enrollment.backup.hashes_hex.empty()) {
        if (const auto index = find_backup_code(enrollment.backup, digits, primitives.derive_backup_hash)) {
            const std::uint64_t bit = std::uint64_t{1} << *index;
            if ((state.backup_used_mask & bit) != 0) {
                return CodeVerdict::replayed;
            }
            state.backup_used_mask |= bit;
            return CodeVerdict::accepted_backup;
        }
    }
    return CodeVerdict::wrong;
}

}  // namespace otpgate::core
