#include "login_oracle.hpp"

#include <algorithm>

#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/primitives/otp.hpp"

namespace otpgate::fuzz {
namespace {

// The digits of a typed code: blanks, dashes and dots between them are
// ignored; anything else, or more than 64 characters, is no code. The rule
// of normalize_typed_code, written again on purpose: the oracle does not
// call the code it judges.
std::optional<std::string> typed_digits(std::string_view typed) {
    if (typed.size() > 64) {
        return std::nullopt;
    }
    std::string digits;
    for (const char c : typed) {
        if (c >= '0' && c <= '9') {
            digits.push_back(c);
        } else if (c != ' ' && c != '-' && c != '.' && c != '\t') {
            return std::nullopt;
        }
    }
    if (digits.empty()) {
        return std::nullopt;
    }
    return digits;
}

std::optional<std::int64_t> totp_step_of(const std::string& digits, const OracleFacts& facts) {
    const core::Enrollment& enrollment = *facts.world.enrollment;
    if (enrollment.method != core::Method::totp || digits.size() != enrollment.totp.digits) {
        return std::nullopt;
    }
    std::optional<std::int64_t> earliest;
    // The clock shows at most two times (before and after its one jump):
    // the window around each.
    for (const std::int64_t now : {facts.times.earliest, facts.times.latest}) {
        const std::int64_t centre = core::totp_step(now, enrollment.totp.period);
        const auto window = static_cast<std::int64_t>(facts.totp_window);
        for (std::int64_t step = std::max<std::int64_t>(0, centre - window);
             step <= centre + window; ++step) {
            const bool spent = facts.spent.totp_through && step <= *facts.spent.totp_through;
            if (!spent && core::hotp(enrollment.totp_secret, static_cast<std::uint64_t>(step),
                                     enrollment.totp.digits, enrollment.totp.algorithm)
                                  .view() == digits) {
                earliest = std::min(earliest.value_or(step), step);
            }
        }
    }
    return earliest;
}

}  // namespace

SpentCodes spent_codes_in(const StateSnapshot& state, const LoginWorld& world) {
    SpentCodes spent;
    if (state.kind != StateSnapshot::Kind::valid) {
        return spent;
    }
    spent.totp_through = state.state.last_totp_step;
    // A mask belongs to the enrollment it names; a new one starts unspent.
    if (world.enrollment && state.state.enrollment_id == world.enrollment->id) {
        spent.backups = state.state.backup_used_mask;
    }
    return spent;
}

std::optional<RightCode> right_code(std::string_view typed, const OracleFacts& facts) {
    const auto digits = typed_digits(typed);
    if (!digits) {
        return std::nullopt;
    }
    if (facts.world.enrollment) {
        if (const auto step = totp_step_of(*digits, facts)) {
            return RightCode{RightCode::Kind::totp, *step, 0};
        }
        const auto& backup = facts.world.enrollment->backup;
        if (core::is_backup_code_length(backup, digits->size()) && !backup.hashes_hex.empty() &&
            backup.iterations == facts.backup_iterations) {
            if (const auto index = core::find_backup_code(backup, *digits, facts.backup_iterations);
                index && *index < 64 && (facts.spent.backups & (std::uint64_t{1} << *index)) == 0) {
                return RightCode{RightCode::Kind::backup, 0, *index};
            }
        }
    }
    if (std::find(facts.sent_codes.begin(), facts.sent_codes.end(), *digits) !=
        facts.sent_codes.end()) {
        return RightCode{RightCode::Kind::sent, 0, 0};
    }
    return std::nullopt;
}

}  // namespace otpgate::fuzz
