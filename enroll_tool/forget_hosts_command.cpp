// otpgate forget-hosts --user NAME: root makes every host the user passed
// from ask for a code again before remember_host runs out, as after a
// stolen laptop or a phone lost where someone may have used it.
#include "commands.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "output.hpp"

namespace otpgate::cli {

ExitCode forget_remembered_hosts(const CommandContext& context) {
    if (!context.may_use_state) {
        return report({ExitCode::not_permitted, "only root can forget a user's remembered hosts"});
    }
    const std::string& user = context.user_name();
    const core::StateStore states(context.config.state_dir, context.config.lock_timeout,
                                  &context.logger);
    // Looked for first, so that a user who never logged in gets no file.
    const auto existing = states.read_existing(user);
    if (!existing) {
        return report(storage_failure(existing.error(), "the login state of user " + user));
    }
    if (!existing->has_value() || (*existing)->remembered_hosts.empty()) {
        print("User " + user + " has no remembered host: nothing to forget.\n");
        return ExitCode::ok;
    }
    auto locked = states.lock(user);
    if (!locked) {
        return report(storage_failure(locked.error(), "the login state of user " + user));
    }
    const std::size_t count = locked->state().remembered_hosts.size();
    locked->state().remembered_hosts.clear();
    if (auto saved = locked->commit(); !saved) {
        return report(storage_failure(saved.error(), "the login state of user " + user));
    }
    const std::string hosts = std::to_string(count) + " remembered host" + (count == 1 ? "" : "s");
    context.logger.notice(hosts + " of user " + user + " forgotten by root");
    print("Forgot " + hosts + " of user " + user + ": every host asks for a code again.\n");
    return ExitCode::ok;
}

}  // namespace otpgate::cli
