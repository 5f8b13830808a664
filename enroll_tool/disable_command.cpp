// otpgate disable: remove an enrollment. A user proves possession first;
// root naming a user with --user resets that user completely.
#include "announce_change.hpp"
#include "code_confirmation.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "root_held_enrollment.hpp"
#include "verify_helper_client.hpp"

namespace otpgate::cli {
namespace {

void explain_consequence(const CommandContext& context) {
    if (context.config.nullok) {
        print("Logins of " + context.user_name() + " no longer ask for a code.\n");
    } else {
        print("Logins that require otpgate are refused for " + context.user_name() +
              " until the user enrolls again (nullok is off).\n");
    }
}

// Root resetting a user: no code, and the login state goes too, which is
// also the way out of a corrupt state file. Works when the enrollment file
// itself is unreadable or refused, since removing it is the point.
ExitCode reset_user(const CommandContext& context) {
    // Read before removing, only to say in the notice what was removed.
    const auto before = context.storage.load_enrollment(context.target.account);
    const auto removed = context.storage.remove_enrollment(context.target.account);
    if (!removed && removed.error().kind != core::ErrorKind::not_found) {
        return report(storage_failure(removed.error(), enrollment_of(context)));
    }
    const auto state_removed = context.storage.remove_state(context.user_name());
    if (!state_removed && state_removed.error().kind != core::ErrorKind::not_found) {
        if (removed) {
            print("Removed the enrollment of user " + context.user_name() + ".\n");
            announce_change(context, core::ChangeKind::disabled,
                            before ? &before.value() : nullptr);
        }
        return report(storage_failure(state_removed.error(),
                                      "the login state of user " + context.user_name()));
    }
    if (!removed && !state_removed) {
        return report({ExitCode::not_enrolled, "user " + context.user_name() + " is not enrolled"});
    }
    if (removed) {
        print("Removed the enrollment of user " + context.user_name() + ".\n");
        announce_change(context, core::ChangeKind::disabled, before ? &before.value() : nullptr);
    } else {
        print("User " + context.user_name() + " was not enrolled.\n");
    }
    if (state_removed) {
        print("Removed the login state of user " + context.user_name() + ".\n");
    }
    explain_consequence(context);
    return ExitCode::ok;
}

}  // namespace

ExitCode disable_enrollment(const CommandContext& context) {
    if (context.target.named_by_root) {
        return reset_user(context);
    }
    if (enrollment_held_by_root(context)) {
        const ExitCode code = change_through_helper(context, {"disable"});
        if (code == ExitCode::ok) {
            explain_consequence(context);
        }
        return code;
    }
    if (!context.may_use_state && verify_helper_installed(context.config)) {
        // The helper asks for the code, removes the file, resets root's
        // record and sends the notice (which needs root's credentials).
        if (auto refused = run_verify_helper(context.config, {"disable"})) {
            return report(*refused);
        }
        explain_consequence(context);
        return ExitCode::ok;
    }
    const auto loaded = load_enrollment(context);
    if (const auto* failure = std::get_if<Failure>(&loaded)) {
        return report(*failure);
    }
    if (const auto refused = confirm_possession(context, std::get<core::Enrollment>(loaded))) {
        return report(*refused);
    }
    if (auto removed = context.storage.remove_enrollment(context.target.account); !removed) {
        return report(storage_failure(removed.error(), enrollment_of(context)));
    }
    print("Code accepted. Removed the enrollment of user " + context.user_name() + ".\n");
    explain_consequence(context);
    announce_change(context, core::ChangeKind::disabled, &std::get<core::Enrollment>(loaded));
    return ExitCode::ok;
}

}  // namespace otpgate::cli
