// The facts about a login account that the store needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "otpgate/core/primitives/result.hpp"

namespace otpgate::core {

struct UserAccount {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
};

// Rejects names that could escape a directory or confuse a log reader:
// empty, over 64 bytes, '/', a leading '.' or '-', control characters, space.
Result<void> validate_user_name(std::string_view name);

// getpwnam_r; not_found for an unknown user.
Result<UserAccount> lookup_user(std::string_view name);
Result<UserAccount> lookup_user(uid_t uid);

// Every account the password database enumerates (getpwent) whose name
// validate_user_name accepts, in the order it gives them. Root's commands
// that visit all users (`--all`) start here.
std::vector<UserAccount> enumerate_accounts();

// Primary and supplementary groups, as getgrouplist reports them.
std::vector<gid_t> group_ids_of(const UserAccount& account);

}  // namespace otpgate::core
