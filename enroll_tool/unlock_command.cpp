// otpgate unlock --user NAME: root lifts a lockout (lockout.hpp) before it
// ends by itself, and forgets the wrong codes counted toward the next one.
#include "announce_change.hpp"
#include "commands.hpp"
#include "otpgate/core/state/lockout.hpp"
#include "output.hpp"

namespace otpgate::cli {

ExitCode unlock_user(const CommandContext& context) {
    if (!context.may_use_state) {
        return report({ExitCode::not_permitted, "only root can unlock a user"});
    }
    const std::string& user = context.user_name();
    // Looked for first, so that unlocking a user who never logged in
    // creates nothing.
    const auto existing = context.storage.read_state(user);
    if (!existing) {
        return report(storage_failure(existing.error(), "the login state of user " + user));
    }
    if (!existing->has_value()) {
        print("User " + user + " has no login state: nothing to unlock.\n");
        return ExitCode::ok;
    }
    auto opened = context.storage.begin(user);
    if (!opened) {
        return report(storage_failure(opened.error(), "the login state of user " + user));
    }
    core::UserTransaction& transaction = **opened;
    core::UserState& state = transaction.state();
    const core::LockoutPolicy& policy = context.config.policy.lockout;
    const std::int64_t now = context.clock.now();
    const auto remaining = core::lock_remaining(state, policy, now);
    const unsigned failures = core::failures_in_window(state, policy, now);
    core::clear_lockout(state);
    if (auto saved = transaction.commit(); !saved) {
        return report(storage_failure(saved.error(), "the login state of user " + user));
    }
    audit_change(context, "unlocked");
    if (remaining) {
        context.logger.notice("lockout of user " + user + " lifted by root (" +
                              std::to_string(*remaining) + " s were left)");
        print("Unlocked user " + user + " (the lock had " + std::to_string(*remaining) +
              " s left).\n");
    } else {
        context.logger.info("wrong codes of user " + user + " cleared by root (" +
                            std::to_string(failures) + " counted)");
        print("User " + user + " was not locked; " + std::to_string(failures) +
              " recent wrong code" + (failures == 1 ? "" : "s") + " forgotten.\n");
    }
    return ExitCode::ok;
}

}  // namespace otpgate::cli
