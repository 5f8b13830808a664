// [service NAME...] sections of otpgate.conf.
#include <gtest/gtest.h>

#include "otpgate/core/config/config.hpp"

namespace otpgate::core {
namespace {

const std::string text =
    "max_attempts = 2\n"
    "enforce = all\n"
    "[service sudo su-l]\n"
    "max_attempts = 5\n"
    "enforce = groups\n"
    "groups = wheel\n"
    "[service sshd]\n"
    "remember_host = 86400\n";

Config parsed_for(std::string_view service, CapturingLogger& logger) {
    Config config;
    EXPECT_TRUE(parse_config_text(config, text, "otpgate.conf", logger, service));
    return config;
}

TEST(ConfigSections, ASectionAppliesToItsServicesOnly) {
    CapturingLogger logger;
    const Config sudo = parsed_for("sudo", logger);
    EXPECT_EQ(sudo.max_attempts, 5U);
    EXPECT_EQ(sudo.policy.enforce, PolicyConfig::Enforce::groups);
    EXPECT_EQ(sudo.policy.remember_host, 0U);
    EXPECT_EQ(parsed_for("su-l", logger).max_attempts, 5U);

    const Config sshd = parsed_for("sshd", logger);
    EXPECT_EQ(sshd.max_attempts, 2U);
    EXPECT_EQ(sshd.policy.enforce, PolicyConfig::Enforce::all);
    EXPECT_EQ(sshd.policy.remember_host, 86400U);

    // The otpgate command names no service: the global lines only.
    const Config command = parsed_for("", logger);
    EXPECT_EQ(command.max_attempts, 2U);
    EXPECT_EQ(command.policy.remember_host, 0U);
    EXPECT_TRUE(logger.lines().empty());
}

TEST(ConfigSections, OtherServicesSectionsAreCheckedToo) {
    Config config;
    CapturingLogger logger;
    EXPECT_FALSE(parse_config_text(config, "[service sudo]\nmax_attempts = 0\ncolour = red\n",
                                   "c.conf", logger, "sshd"));
    ASSERT_EQ(logger.lines().size(), 2U);
    EXPECT_NE(logger.lines()[0].message.find("c.conf:2: bad value for max_attempts"),
              std::string::npos);
    EXPECT_NE(logger.lines()[1].message.find("c.conf:3: unknown key 'colour'"), std::string::npos);
    EXPECT_EQ(config.max_attempts, Config{}.max_attempts);
}

TEST(ConfigSections, BadHeadersAreErrors) {
    for (const char* header :
         {"[sudo]", "[service]", "[service sudo", "[services sudo]", "[service a=b]"}) {
        Config config;
        CapturingLogger logger;
        EXPECT_FALSE(parse_config_text(config, std::string(header) + "\nmax_attempts = 4\n", "c",
                                       logger, "sudo"))
            << header;
        EXPECT_TRUE(logger.contains("c:1:")) << header;
        EXPECT_EQ(config.max_attempts, Config{}.max_attempts) << header;
    }
}

TEST(ConfigSections, WhereFilesLiveIsGlobalOnly) {
    for (const char* key : {"state_dir = /tmp/x", "enrollment_path = /tmp/%u",
                            "verify_helper = /tmp/v", "store = local"}) {
        Config config;
        CapturingLogger logger;
        EXPECT_FALSE(parse_config_text(config, std::string("[service sudo]\n") + key + "\n", "c",
                                       logger, "sudo"))
            << key;
        EXPECT_TRUE(logger.contains("cannot be set for a service")) << key;
    }
}

TEST(ConfigSections, ModuleArgumentsStillWin) {
    CapturingLogger logger;
    Config config;
    ModuleArguments arguments;
    arguments.config_path = "/nonexistent/otpgate-policy-test.conf";
    arguments.settings = {{"max_attempts", "7"}};
    // A missing named file is an error, but the arguments still apply.
    EXPECT_FALSE(load_module_config(config, arguments, logger, "sudo"));
    EXPECT_EQ(config.max_attempts, 7U);
}

}  // namespace
}  // namespace otpgate::core
