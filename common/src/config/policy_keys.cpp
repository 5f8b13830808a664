// The keys of the access policy (policy_config.hpp): who is asked, from
// where, lockout, and the host-wide SMS cap.
#include <array>
#include <variant>

#include "config_setters.hpp"
#include "otpgate/core/config/config.hpp"

namespace otpgate::core {
namespace {

constexpr unsigned max_remember_seconds = 90 * 24 * 3600;  // 90 days
constexpr unsigned max_lock_seconds = 7 * 24 * 3600;       // a week

std::string set_enforce(Config& config, std::string_view value) {
    using Enforce = PolicyConfig::Enforce;
    if (value == "all") {
        config.policy.enforce = Enforce::all;
    } else if (value == "groups") {
        config.policy.enforce = Enforce::groups;
    } else if (value == "enrolled") {
        config.policy.enforce = Enforce::enrolled;
    } else {
        return "expected all, groups or enrolled";
    }
    return {};
}

std::string set_groups(Config& config, std::string_view value) {
    auto rules = parse_group_rules(value);
    if (auto* problem = std::get_if<std::string>(&rules)) {
        return *problem;
    }
    config.policy.groups = std::move(std::get<std::vector<GroupRule>>(rules));
    return {};
}

std::string set_exempt_networks(Config& config, std::string_view value) {
    auto networks = parse_ip_network_list(value);
    if (auto* problem = std::get_if<std::string>(&networks)) {
        return *problem;
    }
    auto& parsed = std::get<std::vector<IpNetwork>>(networks);
    if (parsed.size() > 256) {
        return "at most 256 networks";
    }
    config.policy.exempt_networks = std::move(parsed);
    return {};
}

using V = std::string_view;

constexpr std::array<KeySetter, 9> policy_keys = {{
    {"enforce", &set_enforce},
    {"exempt_networks", &set_exempt_networks},
    {"exempt_networks_resolve",
     [](Config& c, V v) { return set_bool(c.policy.exempt_networks_resolve, v); }},
    {"groups", &set_groups},
    {"host_max_sms_per_hour",
     [](Config& c, V v) { return set_unsigned(c.policy.host_max_sms_per_hour, v, 0, 1000000); }},
    {"lockout_duration",
     [](Config& c, V v) {
         return set_unsigned(c.policy.lockout.duration, v, 1, max_lock_seconds);
     }},
    {"lockout_failures",
     [](Config& c, V v) {
         return set_unsigned(c.policy.lockout.max_failures, v, 0,
                             static_cast<unsigned>(max_recorded_failures));
     }},
    {"lockout_window",
     [](Config& c, V v) { return set_unsigned(c.policy.lockout.window, v, 1, max_lock_seconds); }},
    {"remember_host",
     [](Config& c, V v) {
         return set_unsigned(c.policy.remember_host, v, 0, max_remember_seconds);
     }},
}};
static_assert(sorted_and_unique(policy_keys));

}  // namespace

std::span<const KeySetter> policy_key_setters() {
    return policy_keys;
}

}  // namespace otpgate::core
