// otpgate backup-codes: a new set of backup codes for the same secret.
#include "announce_change.hpp"
#include "code_confirmation.hpp"
#include "commands.hpp"
#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "output.hpp"
#include "root_held_enrollment.hpp"
#include "verify_helper_client.hpp"

namespace otpgate::cli {

ExitCode renew_backup_codes(const CommandContext& context) {
    if (enrollment_held_by_root(context)) {
        return change_through_helper(context, {"backup-codes"});
    }
    if (!context.target.named_by_root && !context.may_use_state &&
        verify_helper_installed(context.config)) {
        // The helper asks for the code, saves and shows the new codes, and
        // sends the notice (which needs root's credentials).
        if (auto refused = run_verify_helper(context.config, {"backup-codes"})) {
            return report(*refused);
        }
        return ExitCode::ok;
    }
    auto loaded = load_enrollment(context);
    if (const auto* failure = std::get_if<Failure>(&loaded)) {
        return report(*failure);
    }
    auto& enrollment = std::get<core::Enrollment>(loaded);
    if (!context.target.named_by_root) {
        if (const auto refused = confirm_possession(context, enrollment)) {
            return report(*refused);
        }
    }
    // A new id comes with the new codes, so the marks of spent old codes in
    // the state store no longer apply: every new code starts unused.
    const std::vector<core::SecretString> codes =
        core::renew_backup_codes(enrollment, context.config, context.random);
    if (auto saved = context.storage.save_enrollment(context.target.account, enrollment); !saved) {
        Failure failure = storage_failure(saved.error(), enrollment_of(context));
        failure.message += "; the old backup codes stay valid";
        return report(failure);
    }
    print("New backup codes for user " + context.user_name() +
          ". The old ones no longer work; the authenticator app stays as it is.\n");
    print_backup_codes(codes);
    announce_change(context, core::ChangeKind::backup_codes_renewed, &enrollment);
    return ExitCode::ok;
}

}  // namespace otpgate::cli
