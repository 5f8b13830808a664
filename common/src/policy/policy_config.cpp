// The keys of the access policy, added to the one config parser.
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/config/config_setters.hpp"

namespace otpgate::core {
namespace {

constexpr unsigned max_remember_seconds = 90 * 24 * 3600;  // 90 days
constexpr unsigned max_lock_seconds = 7 * 24 * 3600;       // a week

Setter policy_unsigned(unsigned PolicyConfig::*member, unsigned min, unsigned max) {
    return unsigned_setter([member](Config& c) -> unsigned& { return c.policy.*member; }, min, max);
}

Setter lockout_unsigned(unsigned LockoutPolicy::*member, unsigned min, unsigned max) {
    return unsigned_setter([member](Config& c) -> unsigned& { return c.policy.lockout.*member; },
                           min, max);
}

}  // namespace

void add_policy_settings(SetterTable& table) {
    const auto add = [&table](std::string_view key, Setter setter) {
        table.emplace(key, std::move(setter));
    };
    add("enforce", [](Config& config, std::string_view value) -> std::string {
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
    });
    add("groups", [](Config& config, std::string_view value) -> std::string {
        auto rules = parse_group_rules(value);
        if (auto* problem = std::get_if<std::string>(&rules)) {
            return *problem;
        }
        config.policy.groups = std::move(std::get<std::vector<GroupRule>>(rules));
        return {};
    });
    add("exempt_networks", [](Config& config, std::string_view value) -> std::string {
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
    });
    add("exempt_networks_resolve",
        bool_setter([](Config& c) -> bool& { return c.policy.exempt_networks_resolve; }));
    add("remember_host", policy_unsigned(&PolicyConfig::remember_host, 0, max_remember_seconds));
    add("lockout_failures", lockout_unsigned(&LockoutPolicy::max_failures, 0,
                                             static_cast<unsigned>(max_recorded_failures)));
    add("lockout_window", lockout_unsigned(&LockoutPolicy::window, 1, max_lock_seconds));
    add("lockout_duration", lockout_unsigned(&LockoutPolicy::duration, 1, max_lock_seconds));
    add("host_max_sms_per_hour", policy_unsigned(&PolicyConfig::host_max_sms_per_hour, 0, 1000000));
}

}  // namespace otpgate::core
