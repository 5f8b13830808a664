// otpgate status: what is enrolled, and (for root) what the logins used.
#include <bit>

#include "commands.hpp"
#include "login_record_text.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "output.hpp"
#include "root_held_enrollment.hpp"

namespace otpgate::cli {
namespace {

std::string label(std::string_view name) {
    std::string out(name);
    out += ':';
    out.resize(18, ' ');
    return out;
}

void print_field(std::string_view name, const std::string& value) {
    print(label(name) + as_field(value) + "\n");
}

// The login state of the user, or nullopt when no login has been recorded
// yet. Looked for first so that asking for the status never creates a file.
std::variant<std::optional<core::UserState>, Failure> read_state(const CommandContext& context) {
    auto existing = context.storage.read_state(context.user_name());
    if (!existing) {
        return storage_failure(existing.error(), "the login state of user " + context.user_name());
    }
    return std::move(existing.value());
}

// Last success, lockout and remembered hosts: what the access policy keeps.
// Hosts remembered under an older enrollment no longer count (code_check.hpp).
void print_policy_fields(const CommandContext& context, const core::Enrollment& enrollment,
                         const core::UserState* record) {
    const std::int64_t now = context.clock.now();
    print_field("Last success", last_success_text(record));
    print_field("Lockout",
                lockout_text(record, context.config.policy.lockout, now, context.user_name()));
    const unsigned period = context.config.policy.remember_host;
    if (period > 0) {
        std::size_t remembered = 0;
        const bool current = record != nullptr && record->enrollment_id == enrollment.id;
        for (const auto& host :
             current ? record->remembered_hosts : std::vector<core::RememberedHost>{}) {
            const bool recent = host.at <= now && now - host.at < static_cast<std::int64_t>(period);
            remembered += recent ? 1 : 0;
        }
        print_field("Remembered hosts", std::to_string(remembered) + " (skipped for " +
                                            std::to_string(period) + " s after a login)");
    }
}

std::uint64_t mask_of_first(std::size_t count) {
    return count >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
}

}  // namespace

ExitCode show_status(const CommandContext& context) {
    if (enrollment_held_by_root(context)) {
        return show_root_held_status(context);
    }
    auto loaded = load_enrollment(context);
    if (auto* failure = std::get_if<Failure>(&loaded)) {
        if (failure->code == ExitCode::not_enrolled) {
            print("User " + context.user_name() + " is not enrolled.\n");
            return ExitCode::not_enrolled;
        }
        return report(*failure);
    }
    const auto& enrollment = std::get<core::Enrollment>(loaded);
    const std::size_t issued = enrollment.backup.hashes_hex.size();

    print_field("User", context.user_name());
    const auto channel = core::channel_of(enrollment.method);
    if (channel) {
        print_field("Method", std::string(core::to_string(*channel)) + " codes to " +
                                  core::mask_destination(*channel, enrollment.destination));
    } else {
        print_field("Method", "TOTP (" + describe_totp(enrollment.totp) + ")");
    }
    print_field("Enrolled", format_utc(enrollment.created));
    if (const auto where = context.storage.enrollment_location(context.target.account)) {
        print_field("Enrollment file", *where);
    }
    if (issued > 0 &&
        !core::backup_codes_usable(enrollment.backup, context.config.backup_code_iterations)) {
        print_field("Refused", "the backup codes, hashed with " +
                                   std::to_string(enrollment.backup.iterations) +
                                   " PBKDF2 iterations, not this host's backup_code_iterations (" +
                                   std::to_string(context.config.backup_code_iterations) +
                                   "); make new ones with `otpgate backup-codes`");
    }
    if (!context.may_use_state) {
        print_field("Backup codes", std::to_string(issued) +
                                        " issued (how many are unused is "
                                        "known to root only)");
        return ExitCode::ok;
    }

    const auto state = read_state(context);
    if (const auto* failure = std::get_if<Failure>(&state)) {
        print_field("Backup codes", std::to_string(issued) + " issued");
        return report(*failure);
    }
    const auto& record = std::get<std::optional<core::UserState>>(state);
    std::size_t used = 0;
    if (record && record->enrollment_id == enrollment.id) {
        used = static_cast<std::size_t>(
            std::popcount(record->backup_used_mask & mask_of_first(issued)));
    }
    print_field("Backup codes",
                std::to_string(issued) + " issued, " + std::to_string(issued - used) + " unused");
    if (channel) {
        const bool verified =
            record && record->verified_destination ==
                          core::destination_fingerprint(*channel, enrollment.destination);
        print_field("Verified", verified ? format_utc(record->verified_at)
                                         : "NO: codes are not sent until it is verified");
        std::size_t sends_in_last_hour = 0;
        const std::int64_t now = context.clock.now();
        for (const std::int64_t sent :
             record ? record->recent_sends : std::vector<std::int64_t>{}) {
            sends_in_last_hour += sent > now - 3600 ? 1 : 0;
        }
        print_field("Codes sent", std::to_string(sends_in_last_hour) + " in the last hour");
    } else if (record && record->last_totp_step) {
        const std::int64_t step_start =
            *record->last_totp_step * static_cast<std::int64_t>(enrollment.totp.period);
        print_field("Last TOTP step", format_utc(step_start) + " (the newest code used)");
    } else {
        print_field("Last TOTP step", "none used yet");
    }
    print_policy_fields(context, enrollment, record ? &*record : nullptr);
    return ExitCode::ok;
}

}  // namespace otpgate::cli
