// Settings of the access policy: who is asked for a second factor
// (enforce, groups), from where it is skipped (exempt_networks,
// remember_host), lockout after wrong codes, and the host-wide SMS cap.
// Parsed by the same parser as every other key (config/policy_keys.cpp).
#pragma once

#include <vector>

#include "otpgate/core/policy/group_rules.hpp"
#include "otpgate/core/primitives/ip_network.hpp"
#include "otpgate/core/state/lockout.hpp"

namespace otpgate::core {

struct PolicyConfig {
    // all: everyone; groups: members of `groups`; enrolled: only users who
    // enrolled. Outside the policy the module returns PAM_IGNORE, and users
    // who enrolled are asked whatever the policy says.
    enum class Enforce { all, groups, enrolled } enforce = Enforce::all;
    std::vector<GroupRule> groups;

    // PAM_RHOST in one of these skips the second factor (PAM_IGNORE). A
    // host name there is looked up only with exempt_networks_resolve.
    std::vector<IpNetwork> exempt_networks;
    bool exempt_networks_resolve = false;

    // Seconds a host from which the user passed stays remembered; 0: off.
    unsigned remember_host = 0;

    LockoutPolicy lockout;

    // SMS per hour from this host, all users together; 0: no cap.
    unsigned host_max_sms_per_hour = 0;
};

}  // namespace otpgate::core
