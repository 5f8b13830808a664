// Change notices through the real `file` and `command` email backends.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/enrollment/change_notice.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/system/logger.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

constexpr std::int64_t change_time = 1700000020;  // 2023-11-14 22:13:40 UTC

class ChangeNotices : public ::testing::Test {
protected:
    test::TempDir dir;
    Config config;
    CapturingLogger logger;
    UserAccount account{"alice", geteuid(), getegid(), "/home/alice"};

    void configure(const std::string& text) {
        ASSERT_TRUE(parse_config_text(config, text, "test.conf", logger));
    }
    void use_outbox(const std::string& more = "") {
        configure("email_backend = file\nemail_outbox = " + outbox().string() + "\n" + more);
    }
    [[nodiscard]] std::filesystem::path outbox() const { return dir / "outbox"; }

    // The outbox's JSON lines (one per message).
    [[nodiscard]] std::vector<std::string> records() const {
        std::vector<std::string> lines;
        if (!std::filesystem::exists(outbox())) {
            return lines;
        }
        const std::string text = test::read_file(outbox());
        std::size_t start = 0;
        while (start < text.size()) {
            const auto end = text.find('\n', start);
            lines.push_back(text.substr(start, end - start));
            start = end == std::string::npos ? text.size() : end + 1;
        }
        return lines;
    }

    // Each of `emails` as if root's state showed it verified.
    void notify(ChangeKind kind, const std::vector<std::string>& emails) {
        NoticeAddresses proven;
        for (const auto& email : emails) {
            proven.add_if_proven(email, destination_fingerprint(Channel::email, email));
        }
        notify_change(config, account, {kind, "TOTP app", change_time, "srv1"}, proven, logger);
    }

    [[nodiscard]] bool logged(Severity severity, std::string_view needle) const {
        for (const auto& line : logger.lines()) {
            if (line.severity == severity && line.message.find(needle) != std::string::npos) {
                return true;
            }
        }
        return false;
    }
};

bool has(const std::string& record, std::string_view needle) {
    return record.find(needle) != std::string::npos;
}

TEST_F(ChangeNotices, GoToTheEnrolledAddressesWithWhatWhenAndWhere) {
    use_outbox("notify_domain = example.org\n");
    notify(ChangeKind::changed, {"bob@example.com", "Old@Example.NET", "bob@example.com"});
    const auto lines = records();
    ASSERT_EQ(lines.size(), 2u);  // the duplicate once; notify_domain unused
    EXPECT_TRUE(has(lines[0], "\"to\":\"bob@example.com\""));
    EXPECT_TRUE(has(lines[1], "\"to\":\"Old@example.net\""));
    for (const auto& record : lines) {
        EXPECT_TRUE(has(record, "\"kind\":\"notice\"")) << record;
        EXPECT_TRUE(has(record, "\"code\":\"\"")) << record;
        EXPECT_TRUE(has(record, "\"subject\":\"Second factor changed on srv1\"")) << record;
        EXPECT_TRUE(has(record,
                        "The second factor was changed for your account alice on srv1 "
                        "at 2023-11-14 22:13:40 UTC."))
            << record;
        EXPECT_TRUE(has(record, "Second factor: TOTP app")) << record;
        EXPECT_TRUE(has(record, "If this was not you, contact your administrator.")) << record;
    }
    EXPECT_TRUE(logged(Severity::notice, "second factor changed for user alice: TOTP app"));
    EXPECT_TRUE(logged(Severity::info, "sent to b\u2022\u2022\u2022@example.com"));
    EXPECT_FALSE(logger.contains("bob@example.com"));  // logs show addresses masked
}

// An address from the user's own file, which root's state does not show
// verified, is never mailed: the user could have written anyone's there.
TEST_F(ChangeNotices, AnAddressNobodyProvedIsNeverMailed) {
    use_outbox("notify_domain = example.com\n");
    NoticeAddresses proven;
    proven.add_if_proven("victim@example.org", "");
    proven.add_if_proven("victim@example.org",
                         destination_fingerprint(Channel::email, "alice@example.net"));
    proven.add_if_proven("alice@example.net",
                         destination_fingerprint(Channel::sms, "alice@example.net"));
    EXPECT_TRUE(proven.addresses().empty());
    notify_change(config, account, {ChangeKind::changed, "TOTP app", change_time, "srv1"}, proven,
                  logger);
    const auto lines = records();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(has(lines[0], "\"to\":\"alice@example.com\"")) << lines[0];  // notify_domain
}

TEST_F(ChangeNotices, WithoutAnEnrolledAddressGoToTheUserAtNotifyDomain) {
    use_outbox("notify_domain = Example.COM\n");
    notify(ChangeKind::enabled, {});
    const auto lines = records();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(has(lines[0], "\"to\":\"alice@example.com\""));
    EXPECT_TRUE(has(lines[0], "Two-factor authentication was turned on")) << lines[0];
}

TEST_F(ChangeNotices, WithoutAnyAddressOnlyTheLogLine) {
    use_outbox();
    notify(ChangeKind::disabled, {});
    EXPECT_TRUE(records().empty());
    EXPECT_TRUE(logged(Severity::notice, "second factor disabled for user alice"));
    EXPECT_FALSE(logged(Severity::warning, ""));
}

TEST_F(ChangeNotices, SwitchedOffStillLogButSendNothing) {
    use_outbox("notify_changes = no\nnotify_domain = example.com\n");
    notify(ChangeKind::backup_codes_renewed, {"alice@example.com"});
    EXPECT_TRUE(records().empty());
    ASSERT_EQ(logger.lines().size(), 1u);
    EXPECT_EQ(logger.lines()[0].severity, Severity::notice);
    EXPECT_EQ(logger.lines()[0].message,
              "second factor backup codes renewed for user alice: TOTP app");
}

TEST_F(ChangeNotices, AFailedDeliveryIsOnlyAWarning) {
    configure("email_backend = command\nemail_command = /bin/false\nnotify_domain = example.com\n");
    notify(ChangeKind::enabled, {});
    EXPECT_TRUE(logged(Severity::notice, "second factor enabled for user alice"));
    EXPECT_TRUE(logged(Severity::warning,
                       "change notice for user alice not delivered to "
                       "a\u2022\u2022\u2022@example.com"));
    EXPECT_FALSE(logged(Severity::error, ""));
}

TEST_F(ChangeNotices, NoEmailBackendIsOnlyAWarning) {
    configure("notify_domain = example.com\n");
    notify(ChangeKind::enabled, {"alice@example.com"});
    EXPECT_TRUE(logged(Severity::notice, "second factor enabled for user alice"));
    EXPECT_TRUE(logged(Severity::warning, "no email backend is configured"));
    EXPECT_FALSE(logged(Severity::error, ""));
}

TEST(ChangeNoticeText, NamesTheChangeAndNothingElse) {
    const UserAccount account{"carol", 1000, 1000, "/home/carol"};
    const std::string text = change_notice_text(
        account, {ChangeKind::disabled, "SMS to +44\u2022\u2022\u2022123", change_time, "gw"});
    EXPECT_EQ(text,
              "Hello carol,\n\nTwo-factor authentication was turned off for your account carol "
              "on gw at 2023-11-14 22:13:40 UTC.\nSecond factor: SMS to "
              "+44\u2022\u2022\u2022123\n\nIf this was not you, contact your administrator.\n");
}

}  // namespace
}  // namespace otpgate::core
