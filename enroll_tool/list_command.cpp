// otpgate list [--json]: every enrolled user, for root. Users come from
// the password database (getpwent: local users, and directory users when
// the name service enumerates them) and from the state directory (everyone
// who ever logged in with otpgate or was enrolled by root) and root's
// enrollment store (store = local), so that neither a directory that does
// not enumerate nor a user who never logged in is missed. Enrollments are
// read as logins read them (the configured store, then the other one), the
// users' files with each user's own rights; one still in the other store
// (a move not finished) is marked.

#include <set>

#include "commands.hpp"
#include "login_record_text.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/state/lockout.hpp"
#include "otpgate/core/storage/enrollment_places.hpp"
#include "otpgate/core/system/user_account.hpp"
#include "otpgate/core/transport/json_text.hpp"
#include "output.hpp"

namespace otpgate::cli {
namespace {

struct ListedUser {
    std::string name;
    std::string method;       // "totp", "sms", "email"
    std::string destination;  // masked; empty for TOTP
    std::optional<core::UserState> state;
    std::string problem;  // why the enrollment or state could not be read
    // The store holding the enrollment, when it is not the configured one.
    std::string unmoved_in;
};

std::set<std::string> candidate_names(const CommandContext& context,
                                      const core::EnrollmentPlaces& places) {
    std::set<std::string> names;
    for (const core::UserAccount& account : core::enumerate_accounts()) {
        names.insert(account.name);
    }
    if (auto with_state = context.storage.users_with_state()) {
        names.insert(with_state->begin(), with_state->end());
    } else if (with_state.error().kind != core::ErrorKind::not_found) {
        print_warning(with_state.error().message);
    }
    if (auto enrolled = places.local_user_names()) {
        names.insert(enrolled->begin(), enrolled->end());
    } else {
        print_warning(enrolled.error().message);
    }
    return names;
}

// nullopt for a user who is not enrolled (or no longer exists).
std::optional<ListedUser> describe_user(const CommandContext& context,
                                        const core::EnrollmentPlaces& places,
                                        const std::string& name) {
    const auto account = core::lookup_user(name);
    if (!account) {
        return std::nullopt;  // a state file left by a deleted user
    }
    const auto enrollment = context.storage.load_enrollment(*account);
    if (!enrollment && enrollment.error().kind == core::ErrorKind::not_found) {
        return std::nullopt;
    }
    ListedUser user;
    user.name = name;
    const core::StoreKind configured = context.config.store;
    if (configured == core::StoreKind::postgresql) {
        // The shared store stands alone; `otpgate store import` fills it.
    } else if (const auto here = places.load(configured, *account);
               !here && core::holds_nothing(configured, here.error())) {
        user.unmoved_in = std::string(core::to_string(core::other_store(configured)));
    }
    if (!enrollment) {
        user.problem = enrollment.error().message;
    } else {
        user.method = std::string(core::to_string(enrollment->method));
        if (const auto channel = core::channel_of(enrollment->method)) {
            user.destination = core::mask_destination(*channel, enrollment->destination);
        }
    }
    if (auto state = context.storage.read_state(name)) {
        user.state = std::move(state.value());
    } else if (user.problem.empty()) {
        user.problem = state.error().message;
    }
    return user;
}

// A JSON string, or null for an empty text.
void append_json_text(std::string& out, std::string_view text) {
    if (text.empty()) {
        out += "null";
        return;
    }
    out += '"';
    core::append_json_escaped(out, text);
    out += '"';
}

void print_json(const CommandContext& context, const std::vector<ListedUser>& users) {
    const core::LockoutPolicy& policy = context.config.policy.lockout;
    const std::int64_t now = context.clock.now();
    std::string out = "{\"users\": [";
    for (std::size_t i = 0; i < users.size(); ++i) {
        const ListedUser& user = users[i];
        const core::UserState* state = user.state ? &*user.state : nullptr;
        out += i == 0 ? "\n  {" : ",\n  {";
        out += "\"user\": ";
        append_json_text(out, user.name);
        out += ", \"method\": ";
        append_json_text(out, user.method);
        out += ", \"destination\": ";
        append_json_text(out, user.destination);
        out += ", \"last_success\": ";
        out += state != nullptr && state->last_success != 0 ? std::to_string(state->last_success)
                                                            : "null";
        const auto remaining =
            state != nullptr ? core::lock_remaining(*state, policy, now) : std::nullopt;
        out += ", \"locked\": ";
        out += remaining ? "true" : "false";
        out += ", \"locked_until\": ";
        out += remaining ? std::to_string(now + *remaining) : "null";
        out += ", \"recent_failures\": ";
        out +=
            std::to_string(state != nullptr ? core::failures_in_window(*state, policy, now) : 0U);
        out += ", \"store\": ";
        append_json_text(out, user.unmoved_in.empty() ? core::to_string(context.config.store)
                                                      : std::string_view(user.unmoved_in));
        out += ", \"error\": ";
        append_json_text(out, user.problem);
        out += "}";
    }
    out += users.empty() ? "]}\n" : "\n]}\n";
    print(out);
}

// Cells quote names and errors from outside: made one line before padding.
std::string padded(std::string_view text, std::size_t width) {
    std::string cell = as_field(text);
    if (cell.size() < width) {
        cell.resize(width, ' ');
    }
    return cell + "  ";
}

void print_table(const CommandContext& context, const std::vector<ListedUser>& users) {
    if (users.empty()) {
        print("No user is enrolled.\n");
        return;
    }
    const core::LockoutPolicy& policy = context.config.policy.lockout;
    const std::int64_t now = context.clock.now();
    std::size_t name_width = 4;
    for (const auto& user : users) {
        name_width = std::max(name_width, as_field(user.name).size());
    }
    print(padded("USER", name_width) + padded("METHOD", 6) + padded("DESTINATION", 24) +
          padded("LAST SUCCESS", 23) + "LOCKOUT\n");
    for (const auto& user : users) {
        const core::UserState* state = user.state ? &*user.state : nullptr;
        if (!user.problem.empty() && user.method.empty()) {
            print(padded(user.name, name_width) + "unreadable: " + as_field(user.problem) + "\n");
            continue;
        }
        std::string line = padded(user.name, name_width) + padded(user.method, 6) +
                           padded(user.destination.empty() ? "-" : user.destination, 24) +
                           padded(last_success_text(state), 23) +
                           lockout_summary(state, policy, now);
        if (!user.problem.empty()) {
            line += " (state unreadable: " + as_field(user.problem) + ")";
        }
        if (!user.unmoved_in.empty()) {
            line += " [still in the " + user.unmoved_in + " store: `otpgate store migrate --to " +
                    std::string(core::to_string(context.config.store)) + "`]";
        }
        print(line + "\n");
    }
}

}  // namespace

ExitCode list_users(const CommandContext& context, bool json) {
    if (!context.may_use_state) {
        return report({ExitCode::not_permitted, "only root can list users"});
    }
    const core::EnrollmentPlaces places(context.config);
    std::vector<ListedUser> users;
    for (const auto& name : candidate_names(context, places)) {
        if (auto user = describe_user(context, places, name)) {
            users.push_back(std::move(*user));
        }
    }
    if (json) {
        print_json(context, users);
    } else {
        print_table(context, users);
    }
    return ExitCode::ok;
}

}  // namespace otpgate::cli
