// otpgate forget-hosts --user NAME: root makes every host the user passed
// from ask for a code again before remember_host runs out, as after a
// stolen laptop or a phone lost where someone may have used it.
#include "announce_change.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace otpgate::cli {

ExitCode forget_remembered_hosts(const CommandContext& context) {
    if (!context.may_use_state) {
        return report({ExitCode::not_permitted, "only root can forget a user's remembered hosts"});
    }
    const std::string& user = context.user_name();
    // Looked for first, so that a user who never logged in gets no record.
    const auto existing = context.storage.read_state(user);
    if (!existing) {
        return report(storage_failure(existing.error(), "the login state of user " + user));
    }
    if (!existing->has_value() || (*existing)->remembered_hosts.empty()) {
        print("User " + user + " has no remembered host: nothing to forget.\n");
        return ExitCode::ok;
    }
    auto opened = context.storage.begin(user);
    if (!opened) {
        return report(storage_failure(opened.error(), "the login state of user " + user));
    }
    core::UserTransaction& transaction = **opened;
    const std::size_t count = transaction.state().remembered_hosts.size();
    transaction.state().remembered_hosts.clear();
    if (auto saved = transaction.commit(); !saved) {
        return report(storage_failure(saved.error(), "the login state of user " + user));
    }
    const std::string hosts = std::to_string(count) + " remembered host" + (count == 1 ? "" : "s");
    context.logger.notice(hosts + " of user " + user + " forgotten by root");
    audit_change(context, "hosts forgotten");
    print("Forgot " + hosts + " of user " + user + ": every host asks for a code again.\n");
    return ExitCode::ok;
}

}  // namespace otpgate::cli
