// Before asking: exempt networks and who falls under enforce.
#include <gtest/gtest.h>

#include "otpgate/core/policy/login_policy.hpp"

namespace otpgate::core {
namespace {

PolicyConfig exempting(std::string_view networks) {
    PolicyConfig policy;
    policy.exempt_networks = std::get<std::vector<IpNetwork>>(parse_ip_network_list(networks));
    return policy;
}

TEST(RemoteHostExempt, AddressesInTheNetworks) {
    CapturingLogger logger;
    const PolicyConfig policy = exempting("10.0.0.0/8 2001:db8::/32");
    EXPECT_TRUE(remote_host_exempt(policy, "10.1.1.1", logger));
    EXPECT_TRUE(remote_host_exempt(policy, "::ffff:10.1.1.1", logger));
    EXPECT_TRUE(remote_host_exempt(policy, "2001:db8::1", logger));
    EXPECT_FALSE(remote_host_exempt(policy, "192.0.2.1", logger));
    EXPECT_FALSE(remote_host_exempt(policy, "", logger));
    EXPECT_FALSE(remote_host_exempt(PolicyConfig{}, "10.1.1.1", logger));
}

TEST(RemoteHostExempt, NamesOnlyWhenResolvingIsOn) {
    CapturingLogger logger;
    logger.set_debug(true);
    PolicyConfig policy = exempting("127.0.0.0/8 ::1/128");
    EXPECT_FALSE(remote_host_exempt(policy, "localhost", logger));
    EXPECT_TRUE(logger.contains("exempt_networks_resolve is off"));
    policy.exempt_networks_resolve = true;
    EXPECT_TRUE(remote_host_exempt(policy, "localhost", logger));
    EXPECT_FALSE(remote_host_exempt(policy, "no-such-host.invalid", logger));
}

TEST(EnforcedFor, AllEnrolledAndGroups) {
    CapturingLogger logger;
    UserAccount root{"root", 0, 0, "/root"};
    PolicyConfig policy;
    EXPECT_TRUE(enforced_for(policy, &root, logger));
    EXPECT_TRUE(enforced_for(policy, nullptr, logger));
    policy.enforce = PolicyConfig::Enforce::enrolled;
    EXPECT_FALSE(enforced_for(policy, &root, logger));
    policy.enforce = PolicyConfig::Enforce::groups;
    policy.groups = std::get<std::vector<GroupRule>>(parse_group_rules("0"));
    EXPECT_TRUE(enforced_for(policy, &root, logger));     // GID 0 is root's primary group
    EXPECT_FALSE(enforced_for(policy, nullptr, logger));  // no such user: in no group
    policy.groups = std::get<std::vector<GroupRule>>(parse_group_rules("!0"));
    EXPECT_FALSE(enforced_for(policy, &root, logger));
}

}  // namespace
}  // namespace otpgate::core
