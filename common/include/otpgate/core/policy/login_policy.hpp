// Whether the second factor applies to a login at all, decided before
// anything is asked: the remote host may be in exempt_networks, and a user
// who has not enrolled may be outside `enforce`.
#pragma once

#include <string_view>

#include "otpgate/core/policy/policy_config.hpp"
#include "otpgate/core/system/logger.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {

// PAM_RHOST (empty for local logins) is in one of the exempt networks. A
// host name matches only with exempt_networks_resolve, and then only when
// every address it resolves to is exempt.
bool remote_host_exempt(const PolicyConfig& policy, std::string_view remote_host, Logger& logger);

// The user falls under `enforce`: everyone for all, nobody for enrolled,
// members of `groups` for groups. `account` is null for a user who does
// not exist (outside any group).
bool enforced_for(const PolicyConfig& policy, const UserAccount* account, Logger& logger);

}  // namespace otpgate::core
