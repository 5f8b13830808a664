#include "target_user.hpp"

#include <unistd.h>

namespace otpgate::cli {

bool invoked_by_root() {
    return getuid() == 0 && geteuid() == 0;
}

std::variant<TargetUser, Failure> resolve_target_user(const std::optional<std::string>& requested) {
    const uid_t uid = getuid();
    auto invoker = core::lookup_user(uid);
    if (!invoker) {
        return Failure{ExitCode::storage, "cannot find the invoking user (uid " +
                                              std::to_string(uid) +
                                              ") in the user database: " + invoker.error().message};
    }
    if (!requested) {
        return TargetUser{std::move(invoker.value()), false};
    }
    if (auto valid = core::validate_user_name(*requested); !valid) {
        return Failure{ExitCode::usage, "--user: " + valid.error().message};
    }
    if (!invoked_by_root()) {
        // Checked before looking the name up, so that ordinary users cannot
        // probe which accounts exist.
        if (*requested == invoker->name) {
            return TargetUser{std::move(invoker.value()), false};
        }
        return Failure{ExitCode::not_permitted, "only root can act for another user"};
    }
    auto named = core::lookup_user(*requested);
    if (!named) {
        if (named.error().kind == core::ErrorKind::not_found) {
            return Failure{ExitCode::usage, "--user: no such user '" + *requested + "'"};
        }
        return Failure{ExitCode::storage, named.error().message};
    }
    return TargetUser{std::move(named.value()), true};
}

}  // namespace otpgate::cli
