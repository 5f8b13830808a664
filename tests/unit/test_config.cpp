// Config text and the option setter shared by the file and module arguments.
#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "config/config_setters.hpp"
#include "otpgate/core/config/config.hpp"

namespace otpgate::core {
namespace {

// What a key accepts and refuses, and how to see the value it set.
struct KeyCase {
    std::string key;
    std::vector<std::pair<std::string, std::function<bool(const Config&)>>> good;
    std::vector<std::string> bad;
};

std::vector<KeyCase> key_cases() {
    const std::string long_text(257, 'x');
    return {
        {"enrollment_path",
         {{"/srv/otp/%u", [](const Config& c) { return c.enrollment_path == "/srv/otp/%u"; }},
          {"%h/.config/otpgate",
           [](const Config& c) { return c.enrollment_path == "%h/.config/otpgate"; }}},
         {"", long_text, "/a\x01"}},
        {"state_dir",
         {{"/var/lib/x", [](const Config& c) { return c.state_dir == "/var/lib/x"; }}},
         {"", "var/lib/x", "./x", "/var/\x1b"}},
        {"verify_helper",
         {{"/usr/local/libexec/otpgate-verify",
           [](const Config& c) { return c.verify_helper == "/usr/local/libexec/otpgate-verify"; }},
          {"", [](const Config& c) { return c.verify_helper.empty(); }}},
         {"otpgate-verify", "./v", "/usr/\x01x"}},
        {"issuer",
         {{"Example Co", [](const Config& c) { return c.issuer == "Example Co"; }},
          {"", [](const Config& c) { return c.issuer.empty(); }}},
         {long_text, "a\tb"}},
        {"totp_algorithm",
         {{"SHA1", [](const Config& c) { return c.totp.algorithm == HashAlgorithm::sha1; }},
          {"sha256", [](const Config& c) { return c.totp.algorithm == HashAlgorithm::sha256; }},
          {"SHA-512", [](const Config& c) { return c.totp.algorithm == HashAlgorithm::sha512; }}},
         {"", "MD5", "SHA3", "sha 1"}},
        {"totp_digits",
         {{"6", [](const Config& c) { return c.totp.digits == 6; }},
          {"7", [](const Config& c) { return c.totp.digits == 7; }},
          {"8", [](const Config& c) { return c.totp.digits == 8; }}},
         {"", "5", "9", "-6", "+6", "6.0", "six", "6 6", "0x6"}},
        {"totp_period",
         {{"10", [](const Config& c) { return c.totp.period == 10; }},
          {"300", [](const Config& c) { return c.totp.period == 300; }}},
         {"9", "301", "0", "30s", "99999999999999999999"}},
        {"totp_window",
         {{"0", [](const Config& c) { return c.totp_window == 0; }},
          {"10", [](const Config& c) { return c.totp_window == 10; }}},
         {"11", "-1", "one"}},
        {"secret_bits",
         {{"128", [](const Config& c) { return c.secret_bits == 128; }},
          {"136", [](const Config& c) { return c.secret_bits == 136; }},
          {"512", [](const Config& c) { return c.secret_bits == 512; }}},
         {"120", "130", "520", "160b"}},
        {"backup_code_count",
         {{"0", [](const Config& c) { return c.backup_code_count == 0; }},
          {"64", [](const Config& c) { return c.backup_code_count == 64; }}},
         {"65", "-1", ""}},
        {"backup_code_digits",
         {{"9", [](const Config& c) { return c.backup_code_digits == 9; }},
          {"16", [](const Config& c) { return c.backup_code_digits == 16; }}},
         // 8 would look like a TOTP code and could never be accepted.
         {"8", "17", "x"}},
        {"backup_code_iterations",
         {{"1000", [](const Config& c) { return c.backup_code_iterations == 1000; }},
          {"10000000", [](const Config& c) { return c.backup_code_iterations == 10'000'000; }}},
         {"999", "10000001", "20k", ""}},
        {"max_attempts",
         {{"1", [](const Config& c) { return c.max_attempts == 1; }},
          {"10", [](const Config& c) { return c.max_attempts == 10; }}},
         {"0", "11"}},
        {"fail_delay_ms",
         {{"0", [](const Config& c) { return c.fail_delay_ms == 0; }},
          {"60000", [](const Config& c) { return c.fail_delay_ms == 60000; }}},
         {"60001", "1e3"}},
        {"lock_timeout_ms",
         {{"100", [](const Config& c) { return c.lock_timeout == std::chrono::milliseconds(100); }},
          {"60000",
           [](const Config& c) { return c.lock_timeout == std::chrono::milliseconds(60000); }}},
         // 0 would refuse every login that ever meets another; none is unbounded.
         {"0", "99", "60001", "3s", ""}},
        {"prompt",
         {{"Code: ", [](const Config& c) { return c.prompt == "Code: "; }}},
         {"", long_text, "Code:\x01"}},
        {"nullok",
         {{"yes", [](const Config& c) { return c.nullok; }},
          {"true", [](const Config& c) { return c.nullok; }},
          {"on", [](const Config& c) { return c.nullok; }},
          {"1", [](const Config& c) { return c.nullok; }},
          {"no", [](const Config& c) { return !c.nullok; }},
          {"false", [](const Config& c) { return !c.nullok; }},
          {"off", [](const Config& c) { return !c.nullok; }},
          {"0", [](const Config& c) { return !c.nullok; }},
          {"Yes", [](const Config& c) { return c.nullok; }},
          {"NO", [](const Config& c) { return !c.nullok; }}},
         {"", "maybe", "2", "yess"}},
        {"debug",
         {{"yes", [](const Config& c) { return c.debug; }},
          {"no", [](const Config& c) { return !c.debug; }}},
         {"", "verbose"}},
        {"code_digits",
         {{"4", [](const Config& c) { return c.code_digits == 4; }},
          {"10", [](const Config& c) { return c.code_digits == 10; }}},
         {"3", "11", "six", ""}},
        {"sms_code_lifetime",
         {{"60", [](const Config& c) { return c.sms_code_lifetime == 60; }},
          {"3600", [](const Config& c) { return c.sms_code_lifetime == 3600; }}},
         {"59", "3601", "5m"}},
        {"email_code_lifetime",
         {{"900", [](const Config& c) { return c.email_code_lifetime == 900; }}},
         {"0", "86400"}},
        {"max_resends",
         {{"0", [](const Config& c) { return c.max_resends == 0; }},
          {"10", [](const Config& c) { return c.max_resends == 10; }}},
         {"11", "-1"}},
        {"send_cooldown",
         {{"0", [](const Config& c) { return c.send_cooldown == 0; }},
          {"3600", [](const Config& c) { return c.send_cooldown == 3600; }}},
         {"3601", "x"}},
        {"max_sends_per_hour",
         {{"1", [](const Config& c) { return c.max_sends_per_hour == 1; }},
          {"32", [](const Config& c) { return c.max_sends_per_hour == 32; }}},
         {"0", "33"}},
        {"failmode",
         {{"secure", [](const Config& c) { return c.failmode == Config::FailMode::secure; }},
          {"safe", [](const Config& c) { return c.failmode == Config::FailMode::safe; }}},
         {"open", "", "Safe"}},
        {"help_text",
         {{"Call the service desk on 555-0100",
           [](const Config& c) { return c.help_text == "Call the service desk on 555-0100"; }},
          {"", [](const Config& c) { return c.help_text.empty(); }}},
         {"a\x01b"}},
        {"sms_allowed_countries",
         {{"44 49, 1",
           [](const Config& c) {
               return c.sms_allowed_countries == std::vector<std::string>{"44", "49", "1"};
           }},
          {"", [](const Config& c) { return c.sms_allowed_countries.empty(); }}},
         {"+44", "4444", "uk"}},
        {"phone_default_region",
         {{"GB", [](const Config& c) { return c.phone_default_region == "GB"; }},
          {"", [](const Config& c) { return c.phone_default_region.empty(); }}},
         {"gb", "GBR", "G1"}},
        {"notify_changes",
         {{"no", [](const Config& c) { return !c.notify_changes; }},
          {"yes", [](const Config& c) { return c.notify_changes; }}},
         {"", "maybe"}},
        {"notify_domain",
         {{"Example.COM", [](const Config& c) { return c.notify_domain == "example.com"; }},
          {"mail.example.org",
           [](const Config& c) { return c.notify_domain == "mail.example.org"; }},
          {"", [](const Config& c) { return c.notify_domain.empty(); }}},
         {"alice@example.com", "example com", "exa<mple>.com", "-bad.example", "a\x01b"}},
        // Access policy (the policy tests here and in tests/pam cover what they do).
        {"enforce",
         {{"groups",
           [](const Config& c) { return c.policy.enforce == PolicyConfig::Enforce::groups; }},
          {"enrolled",
           [](const Config& c) { return c.policy.enforce == PolicyConfig::Enforce::enrolled; }},
          {"all", [](const Config& c) { return c.policy.enforce == PolicyConfig::Enforce::all; }}},
         {"", "some", "Groups"}},
        {"groups",
         {{"wheel, 2000 !contractors",
           [](const Config& c) {
               return c.policy.groups.size() == 3 && c.policy.groups[1].gid == 2000U &&
                      c.policy.groups[2].exclude && c.policy.groups[2].name == "contractors";
           }},
          {"", [](const Config& c) { return c.policy.groups.empty(); }}},
         {"!", "wh:eel", "-x", "a\x01b"}},
        {"exempt_networks",
         {{"10.0.0.0/8 2001:db8::/32, 192.0.2.7",
           [](const Config& c) { return c.policy.exempt_networks.size() == 3; }},
          {"", [](const Config& c) { return c.policy.exempt_networks.empty(); }}},
         {"10.0.0.1/8", "10.0.0.0/33", "example.com", "10.0.0.0/", "::/129"}},
        {"exempt_networks_resolve",
         {{"yes", [](const Config& c) { return c.policy.exempt_networks_resolve; }},
          {"no", [](const Config& c) { return !c.policy.exempt_networks_resolve; }}},
         {"", "sometimes"}},
        {"remember_host",
         {{"0", [](const Config& c) { return c.policy.remember_host == 0; }},
          {"86400", [](const Config& c) { return c.policy.remember_host == 86400; }}},
         {"-1", "1d", "7776001"}},
        {"lockout_failures",
         {{"0", [](const Config& c) { return c.policy.lockout.max_failures == 0; }},
          {"16", [](const Config& c) { return c.policy.lockout.max_failures == 16; }}},
         {"17", "five"}},
        {"lockout_window",
         {{"1", [](const Config& c) { return c.policy.lockout.window == 1; }},
          {"604800", [](const Config& c) { return c.policy.lockout.window == 604800; }}},
         {"0", "604801", "5m"}},
        {"lockout_duration",
         {{"1", [](const Config& c) { return c.policy.lockout.duration == 1; }},
          {"604800", [](const Config& c) { return c.policy.lockout.duration == 604800; }}},
         {"0", "604801", "15m"}},
        {"store",
         {{"files", [](const Config& c) { return c.store == StoreKind::files; }},
          {"local", [](const Config& c) { return c.store == StoreKind::local; }},
          {"postgresql", [](const Config& c) { return c.store == StoreKind::postgresql; }}},
         {"", "Local", "postgres", "files local"}},
        // The shared store (tests/store covers what they do).
        {"store_url",
         {{"postgresql://otpgate_login@db1,db2/otpgate?target_session_attrs=read-write",
           [](const Config& c) {
               return c.database.url.starts_with("postgresql://otpgate_login");
           }},
          {"host=/run/otpgate-pgbouncer dbname=otpgate user=root",
           [](const Config& c) { return c.database.url.starts_with("host=/run"); }}},
         {"host=db\x01"}},
        {"store_timeout_ms",
         {{"100", [](const Config& c) { return c.database.timeout.count() == 100; }},
          {"60000", [](const Config& c) { return c.database.timeout.count() == 60000; }}},
         {"99", "60001", "2s"}},
        {"host_name",
         {{"web-1.example.org",
           [](const Config& c) { return c.database.host_name == "web-1.example.org"; }},
          {"", [](const Config& c) { return c.database.host_name.empty(); }}},
         {"web 1", "a/b", "h\x01"}},
        {"store_offline",
         {{"deny",
           [](const Config& c) {
               return c.database.offline == DatabaseStoreConfig::Offline::deny;
           }},
          {"cache",
           [](const Config& c) {
               return c.database.offline == DatabaseStoreConfig::Offline::cache;
           }}},
         {"", "allow", "Cache"}},
        {"store_cache_ttl",
         {{"60", [](const Config& c) { return c.database.cache_ttl == 60; }},
          {"7776000", [](const Config& c) { return c.database.cache_ttl == 7776000; }}},
         {"59", "7776001", "1w"}},
        {"fleet_max_sms_per_hour",
         {{"0", [](const Config& c) { return c.database.fleet_max_sms_per_hour == 0; }},
          {"500", [](const Config& c) { return c.database.fleet_max_sms_per_hour == 500; }}},
         {"-1", "1000001", "lots"}},
        {"host_max_sms_per_hour",
         {{"0", [](const Config& c) { return c.policy.host_max_sms_per_hour == 0; }},
          {"500", [](const Config& c) { return c.policy.host_max_sms_per_hour == 500; }}},
         {"-1", "1000001", "lots"}},
    };
}

TEST(ConfigKeys, EveryKnownKeyIsCoveredHere) {
    std::set<std::string> tested;
    for (const auto& c : key_cases()) {
        tested.insert(c.key);
    }
    // Delivery keys have their own tests in tests/delivery.
    std::set<std::string_view> delivery;
    for (const auto& entry : delivery_key_setters()) {
        delivery.insert(entry.key);
    }
    std::set<std::string> known;
    for (const auto key : known_config_keys()) {
        if (delivery.count(key) == 0) {
            known.emplace(key);
        }
    }
    EXPECT_EQ(tested, known);
}

// Each table is sorted (static_asserts beside them); across the three, a
// key must be in one only, or the first table searched would hide the other.
TEST(ConfigKeys, EveryKeyIsInOneTableAndFound) {
    const auto keys = known_config_keys();
    EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
    EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
    for (const auto key : keys) {
        EXPECT_NE(find_setter(key), nullptr) << key;
    }
    EXPECT_EQ(find_setter(""), nullptr);
    EXPECT_EQ(find_setter("debu"), nullptr);
    EXPECT_EQ(find_setter("debug "), nullptr);
    EXPECT_EQ(find_setter("zzz"), nullptr);
}

TEST(ConfigKeys, GoodValuesParseFromAFile) {
    for (const auto& c : key_cases()) {
        for (const auto& [value, holds] : c.good) {
            SCOPED_TRACE(c.key + " = '" + value + "'");
            Config config;
            CapturingLogger logger;
            // Line 3, after a comment and a blank line; quoted so that the
            // empty and blank-edged values survive.
            const std::string text = "# comment\n\n" + c.key + " = \"" + value + "\"\n";
            EXPECT_TRUE(parse_config_text(config, text, "/etc/test.conf", logger));
            EXPECT_TRUE(holds(config));
            EXPECT_TRUE(logger.lines().empty());
        }
    }
}

TEST(ConfigKeys, BadValuesAreRefusedWithFileAndLine) {
    for (const auto& c : key_cases()) {
        for (const auto& value : c.bad) {
            SCOPED_TRACE(c.key + " = '" + value + "'");
            Config config;
            const Config defaults;
            CapturingLogger logger;
            const std::string text = "# comment\n\n" + c.key + " = \"" + value + "\"\n";
            EXPECT_FALSE(parse_config_text(config, text, "/etc/test.conf", logger));
            ASSERT_EQ(logger.lines().size(), 1u);
            EXPECT_EQ(logger.lines()[0].severity, Severity::error);
            EXPECT_NE(logger.lines()[0].message.find("/etc/test.conf:3:"), std::string::npos)
                << logger.lines()[0].message;
            EXPECT_NE(logger.lines()[0].message.find(c.key), std::string::npos);
            // A refused value leaves the setting as it was.
            const auto serialize = [](const Config& x) {
                return x.enrollment_path + "|" + x.state_dir.string() + "|" + x.issuer + "|" +
                       std::to_string(static_cast<int>(x.totp.algorithm)) + "|" +
                       std::to_string(x.totp.digits) + "|" + std::to_string(x.totp.period) + "|" +
                       std::to_string(x.totp_window) + "|" + std::to_string(x.secret_bits) + "|" +
                       std::to_string(x.backup_code_count) + "|" +
                       std::to_string(x.backup_code_digits) + "|" +
                       std::to_string(x.backup_code_iterations) + "|" +
                       std::to_string(x.max_attempts) + "|" + std::to_string(x.fail_delay_ms) +
                       "|" + x.prompt + "|" + std::to_string(x.nullok) + std::to_string(x.debug);
            };
            EXPECT_EQ(serialize(config), serialize(defaults));
        }
    }
}

TEST(ConfigText, UnknownKeyIsAWarningWithFileAndLineAndLoadingContinues) {
    Config config;
    CapturingLogger logger;
    const std::string text = "max_attempts = 4\ncolour = blue\nmax_attempts = 5\n";
    EXPECT_TRUE(parse_config_text(config, text, "my.conf", logger));
    ASSERT_EQ(logger.lines().size(), 1u);
    EXPECT_EQ(logger.lines()[0].severity, Severity::warning);
    EXPECT_NE(logger.lines()[0].message.find("my.conf:2"), std::string::npos);
    EXPECT_NE(logger.lines()[0].message.find("colour"), std::string::npos);
    EXPECT_EQ(config.max_attempts, 5u);
}

TEST(ConfigText, EveryErrorIsReportedAndGoodLinesStillApply) {
    Config config;
    CapturingLogger logger;
    const std::string text =
        "max_attempts = 0\n"
        "prompt = \"Code: \"\n"
        "just some words\n"
        "issuer = \"unterminated\n"
        "totp_digits = 7\n";
    EXPECT_FALSE(parse_config_text(config, text, "c.conf", logger));
    ASSERT_EQ(logger.lines().size(), 3u);
    EXPECT_NE(logger.lines()[0].message.find("c.conf:1:"), std::string::npos);
    EXPECT_NE(logger.lines()[1].message.find("c.conf:3:"), std::string::npos);
    EXPECT_NE(logger.lines()[2].message.find("c.conf:4:"), std::string::npos);
    for (const auto& line : logger.lines()) {
        EXPECT_EQ(line.severity, Severity::error);
    }
    EXPECT_EQ(config.prompt, "Code: ");
    EXPECT_EQ(config.totp.digits, 7u);
    EXPECT_EQ(config.max_attempts, Config{}.max_attempts);
}

TEST(ConfigText, QuotedValuesKeepSpaces) {
    Config config;
    CapturingLogger logger;
    EXPECT_TRUE(
        parse_config_text(config, "prompt = \"  One-time code:  \"\nissuer=\" \"\n", "q", logger));
    EXPECT_EQ(config.prompt, "  One-time code:  ");
    EXPECT_EQ(config.issuer, " ");
}

TEST(ConfigText, UnquotedValuesAreTrimmedAndLayoutIsFree) {
    Config config;
    CapturingLogger logger;
    const std::string text =
        "   # indented comment\r\n"
        "\t prompt   =   Code here:   \r\n"
        "issuer=Acme\n"
        "\n"
        "max_attempts =5";  // no final newline
    EXPECT_TRUE(parse_config_text(config, text, "q", logger));
    EXPECT_EQ(config.prompt, "Code here:");
    EXPECT_EQ(config.issuer, "Acme");
    EXPECT_EQ(config.max_attempts, 5u);
    EXPECT_TRUE(logger.lines().empty());
}

TEST(ConfigText, EmptyTextKeepsDefaults) {
    Config config;
    CapturingLogger logger;
    EXPECT_TRUE(parse_config_text(config, "", "q", logger));
    EXPECT_EQ(config.max_attempts, 3u);
    EXPECT_EQ(config.enrollment_path, "%h/.otpgate");
    EXPECT_TRUE(logger.lines().empty());
}

TEST(ApplySetting, ModuleArgumentOriginHasNoLine) {
    Config config;
    CapturingLogger logger;
    EXPECT_FALSE(
        apply_setting(config, "max_attempts", "99", SettingOrigin{"module argument", 0}, logger));
    ASSERT_EQ(logger.lines().size(), 1u);
    EXPECT_EQ(logger.lines()[0].message.rfind("module argument: bad value for max_attempts", 0), 0u)
        << logger.lines()[0].message;
    EXPECT_EQ((SettingOrigin{"f.conf", 12}.describe()), "f.conf:12");
    EXPECT_EQ((SettingOrigin{"module argument", 0}.describe()), "module argument");
}

TEST(SplitModuleArguments, FlagsConfigAndSettings) {
    const auto arguments = split_module_arguments(
        {"debug", "nullok", "config=/etc/otp.conf", "max_attempts=5", "prompt=Code: x", "issuer="});
    ASSERT_TRUE(arguments.config_path.has_value());
    EXPECT_EQ(*arguments.config_path, "/etc/otp.conf");
    const std::vector<std::pair<std::string, std::string>> expected = {{"debug", "yes"},
                                                                       {"nullok", "yes"},
                                                                       {"max_attempts", "5"},
                                                                       {"prompt", "Code: x"},
                                                                       {"issuer", ""}};
    EXPECT_EQ(arguments.settings, expected);
    EXPECT_FALSE(split_module_arguments({}).config_path.has_value());
}

}  // namespace
}  // namespace otpgate::core
