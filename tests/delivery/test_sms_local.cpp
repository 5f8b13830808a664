// SMS without a provider: the outbox file and the command backend.
#include <chrono>
#include <filesystem>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "delivery_test_support.hpp"
#include "otpgate/core/delivery/message.hpp"

namespace otpgate::test {
namespace {

using std::chrono::milliseconds;

core::OutgoingMessage sms(core::MessageKind kind = core::MessageKind::login_code) {
    core::OutgoingMessage message;
    message.kind = kind;
    message.to = "+447700900123";
    message.user = "alice";
    message.host = "srv1";
    message.code = core::SecretString("482916");
    message.valid_minutes = 5;
    return message;
}

class LocalSms : public ::testing::Test {
protected:
    std::unique_ptr<core::MessageSender> make(const std::string& text) {
        config = parse_test_config(text);
        auto made = core::make_message_sender(config.delivery, core::Channel::sms, logger);
        EXPECT_TRUE(made.ok()) << made.error().message;
        return made.ok() ? std::move(made.value()) : nullptr;
    }
    TempDir dir;
    core::Config config;
    core::CapturingLogger logger;
};

TEST_F(LocalSms, TheOutboxGetsOneJsonLinePerMessage) {
    const auto outbox = dir / "sms-outbox";
    auto sender = make("sms_backend = file\nsms_outbox = " + outbox.string() +
                       "\nsms_template = Code \"{code}\" for {user}\\n\\\\o/\n");
    ASSERT_TRUE(sender);
    const auto first = sender->send(sms());
    EXPECT_TRUE(first.delivered) << first.detail;
    EXPECT_EQ(first.detail, "appended to outbox " + outbox.string());
    auto notice = sms(core::MessageKind::notice);
    notice.code.clear();
    notice.notice_text = "SMS codes are on";
    EXPECT_TRUE(sender->send(notice).delivered);

    struct stat info {};
    ASSERT_EQ(stat(outbox.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0600u);
    const auto records = read_json_lines(outbox);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0]["channel"], "sms");
    EXPECT_EQ(records[0]["kind"], "login_code");
    EXPECT_EQ(records[0]["to"], "+447700900123");
    EXPECT_EQ(records[0]["user"], "alice");
    EXPECT_EQ(records[0]["host"], "srv1");
    EXPECT_EQ(records[0]["code"], "482916");
    EXPECT_EQ(records[0]["minutes"], 5);
    EXPECT_EQ(records[0]["subject"], "");
    EXPECT_EQ(records[0]["text"], "Code \"482916\" for alice\n\\o/");
    EXPECT_EQ(records[0]["time"].get<std::string>().size(), 20u);
    EXPECT_EQ(records[1]["kind"], "notice");
    EXPECT_EQ(records[1]["code"], "");
    EXPECT_EQ(records[1]["text"], "SMS codes are on");
    expect_no_secrets(first, logger, {"482916"});
}

TEST_F(LocalSms, AnUnsafeOutboxIsRefused) {
    const auto target = dir / "target";
    write_file(target, "", 0600);
    const auto link = dir / "link";
    std::filesystem::create_symlink(target, link);
    auto via_link = make("sms_backend = file\nsms_outbox = " + link.string() + "\n");
    ASSERT_TRUE(via_link);
    const auto refused = via_link->send(sms());
    EXPECT_FALSE(refused.delivered);
    EXPECT_NE(refused.detail.find("symbolic link"), std::string::npos) << refused.detail;
    EXPECT_EQ(read_file(target), "");

    const auto open_to_others = dir / "shared";
    write_file(open_to_others, "", 0644);
    auto shared = make("sms_backend = file\nsms_outbox = " + open_to_others.string() + "\n");
    ASSERT_TRUE(shared);
    EXPECT_FALSE(shared->send(sms()).delivered);
    EXPECT_EQ(read_file(open_to_others), "");

    const auto hard_link = dir / "hard";
    ASSERT_EQ(::link(target.c_str(), hard_link.c_str()), 0);
    auto linked = make("sms_backend = file\nsms_outbox = " + hard_link.string() + "\n");
    ASSERT_TRUE(linked);
    const auto result = linked->send(sms());
    EXPECT_FALSE(result.delivered);
    EXPECT_NE(result.detail.find("single link"), std::string::npos) << result.detail;
}

TEST_F(LocalSms, TheCommandGetsFixedArgumentsTheNumberAndTheText) {
    const auto record = dir / "record";
    write_script(dir / "send-sms", "printf '%s\\n' \"$@\" > '" + record.string() +
                                       ".argv'\ncat > '" + record.string() + ".stdin'\n");
    auto sender = make("sms_backend = command\nsms_command = " + (dir / "send-sms").string() +
                       " --modem /dev/ttyUSB0\n");
    ASSERT_TRUE(sender);
    const auto result = sender->send(sms());
    EXPECT_TRUE(result.delivered) << result.detail;
    EXPECT_EQ(result.detail, "send-sms accepted the message");
    EXPECT_EQ(read_file(record.string() + ".argv"), "--modem\n/dev/ttyUSB0\n+447700900123\n");
    EXPECT_EQ(read_file(record.string() + ".stdin"),
              "482916 is your srv1 login code. It expires in 5 minutes.\n");
    expect_no_secrets(result, logger, {"482916"});
}

TEST_F(LocalSms, ACommandThatFailsOrHangsIsNotDelivered) {
    write_script(dir / "fail", "cat > /dev/null\nexit 2\n");
    auto failing = make("sms_backend = command\nsms_command = " + (dir / "fail").string() + "\n");
    ASSERT_TRUE(failing);
    const auto failed = failing->send(sms());
    EXPECT_FALSE(failed.delivered);
    EXPECT_EQ(failed.detail, "fail exited with status 2");

    write_script(dir / "hang", "exec sleep 30\n");
    auto hanging = make("sms_backend = command\nsms_command = " + (dir / "hang").string() +
                        "\ndelivery_timeout_ms = 1000\n");
    ASSERT_TRUE(hanging);
    const auto start = std::chrono::steady_clock::now();
    const auto hung = hanging->send(sms());
    EXPECT_LT(elapsed_since(start), milliseconds(2000));
    EXPECT_FALSE(hung.delivered);
    EXPECT_EQ(hung.detail, "hang did not finish within 1000 ms and was killed");

    auto missing = make("sms_backend = command\nsms_command = " + (dir / "absent").string() + "\n");
    ASSERT_TRUE(missing);
    EXPECT_NE(missing->send(sms()).detail.find("No such file or directory"), std::string::npos);
}

}  // namespace
}  // namespace otpgate::test
