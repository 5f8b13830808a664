// Whom a command acts for: the invoking user, or (for root) the user named
// with --user.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "exit_code.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::cli {

struct TargetUser {
    core::UserAccount account;
    // Root named the user with --user: an administrator acting on someone
    // else's behalf, who is not asked for that user's code.
    bool named_by_root = false;
};

// True when the real user is root. The real uid decides, like passwd(1):
// otpgate is never installed set-uid, but if it were, the invoker would
// still only get to act for themselves.
bool invoked_by_root();

// Without a name: the invoking user (getuid). With a name: that user, which
// requires root unless it is the invoking user's own name.
std::variant<TargetUser, Failure> resolve_target_user(const std::optional<std::string>& requested);

}  // namespace otpgate::cli
