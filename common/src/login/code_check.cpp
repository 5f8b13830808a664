#include "otpgate/core/login/code_check.hpp"

namespace otpgate::core {
namespace {

bool is_any_totp_length(std::size_t length) {
    return length >= min_otp_digits && length <= max_otp_digits;
}

// One TOTP check for a code of any TOTP length: against the user's secret
// where the user has one of that length, else against a decoy secret with
// the host's parameters. nullopt unless the user's own secret was checked.
std::optional<CodeVerdict> check_totp(const Enrollment* enrollment, UserState& state,
                                      std::string_view digits, std::int64_t unix_time,
                                      const CheckCost& cost) {
    if (!is_any_totp_length(digits.size())) {
        return std::nullopt;
    }
    if (enrollment == nullptr || enrollment->method != Method::totp ||
        digits.size() != enrollment->totp.digits) {
        static const SecretBytes decoy_secret(20);
        TotpParameters decoy = cost.totp;
        decoy.digits = static_cast<unsigned>(digits.size());
        static_cast<void>(cost.primitives.verify_totp(decoy_secret, digits, unix_time, decoy,
                                                      cost.totp_window, std::nullopt));
        return std::nullopt;
    }
    const TotpVerdict verdict =
        cost.primitives.verify_totp(enrollment->totp_secret, digits, unix_time, enrollment->totp,
                                    cost.totp_window, state.last_totp_step);
    switch (verdict.match) {
        case TotpMatch::accepted:
            state.last_totp_step = verdict.step;
            return CodeVerdict::accepted_totp;
        case TotpMatch::replayed: return CodeVerdict::replayed;
        case TotpMatch::wrong: break;
    }
    return CodeVerdict::wrong;
}

// One derivation at the host's count for a code of any backup code length;
// find_backup_code spends it on a decoy where the user's set does not apply.
std::optional<CodeVerdict> check_backup(const Enrollment* enrollment, UserState& state,
                                        std::string_view digits, const CheckCost& cost) {
    if (!is_any_backup_code_length(digits.size())) {
        return std::nullopt;
    }
    static const BackupCodeHashes no_codes;
    const bool applies =
        enrollment != nullptr && is_backup_code_length(enrollment->backup, digits.size());
    const auto index = find_backup_code(applies ? enrollment->backup : no_codes, digits,
                                        cost.backup_iterations, cost.primitives.derive_backup_hash);
    if (!index) {
        return std::nullopt;
    }
    const std::uint64_t bit = std::uint64_t{1} << *index;
    if ((state.backup_used_mask & bit) != 0) {
        return CodeVerdict::replayed;
    }
    state.backup_used_mask |= bit;
    return CodeVerdict::accepted_backup;
}

// Both checks always run where the length calls for them: a TOTP code of a
// user never costs less than a decoy's. Lengths keep the kinds apart for
// any one enrollment (a recorded backup length is never its TOTP length),
// so at most one of them can match.
CodeVerdict check_both(const Enrollment* enrollment, UserState& state, std::string_view digits,
                       std::int64_t unix_time, const CheckCost& cost) {
    const auto totp = check_totp(enrollment, state, digits, unix_time, cost);
    const auto backup = check_backup(enrollment, state, digits, cost);
    if (totp && *totp != CodeVerdict::wrong) {
        return *totp;
    }
    return backup.value_or(CodeVerdict::wrong);
}

}  // namespace

std::string_view to_string(CodeVerdict verdict) {
    switch (verdict) {
        case CodeVerdict::accepted_totp: return "TOTP code accepted";
        case CodeVerdict::accepted_backup: return "backup code accepted";
        case CodeVerdict::wrong: return "wrong code";
        case CodeVerdict::replayed: return "replayed code";
    }
    return "?";
}

CheckCost check_cost(const Config& config, CheckPrimitives primitives) {
    return CheckCost{config.backup_code_iterations, config.totp_window, config.totp,
                     std::move(primitives)};
}

void adopt_enrollment(UserState& state, const Enrollment& enrollment) {
    if (state.enrollment_id != enrollment.id) {
        state.enrollment_id = enrollment.id;
        state.backup_used_mask = 0;
        state.remembered_hosts.clear();
    }
}

CodeVerdict check_code(const Enrollment& enrollment, UserState& state, std::string_view digits,
                       std::int64_t unix_time, const CheckCost& cost) {
    adopt_enrollment(state, enrollment);
    return check_both(&enrollment, state, digits, unix_time, cost);
}

void check_nothing(std::string_view digits, std::int64_t unix_time, const CheckCost& cost) {
    UserState unused;
    static_cast<void>(check_both(nullptr, unused, digits, unix_time, cost));
}

}  // namespace otpgate::core
