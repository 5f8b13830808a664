// The credentials file: its format, the rules for the file itself, and
// that no value ever shows up in an error.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "delivery_test_support.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/system/credentials.hpp"

namespace otpgate::core {
namespace {

constexpr uid_t nobody = 65534;
constexpr const char* token = "tok-5ecret-Zq9";

std::string text(const SecretString* secret) {
    return secret == nullptr ? "<none>" : std::string(secret->view());
}

TEST(CredentialsFormat, ParsesKeysCommentsAndQuotes) {
    const auto parsed = parse_credentials(
        "# provider secrets\n\n"
        "twilio_auth_token = tok en\n"
        "  http_password=\"  spaced  \"  \n"
        "http_bearer_token = a=b=c\n"
        "smtp_password = p#w\r\n",
        "s.txt");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->size(), 4u);
    EXPECT_EQ(text(parsed->find("twilio_auth_token")), "tok en");
    EXPECT_EQ(text(parsed->find("http_password")), "  spaced  ");
    EXPECT_EQ(text(parsed->find("http_bearer_token")), "a=b=c");
    EXPECT_EQ(text(parsed->find("smtp_password")), "p#w");
    EXPECT_EQ(parsed->find("other"), nullptr);
}

TEST(CredentialsFormat, ErrorsNameTheLineButNeverItsText) {
    const struct {
        const char* text;
        const char* expected;
    } cases[] = {
        {"# c\ntok-5ecret-Zq9\n", "s.txt:2: expected 'key = value'"},
        {"tok-5ecret-Zq9 = x\n", "s.txt:1: unknown key"},
        {"\n\nsmtp_password = tok-5ecret-Zq9\nsmtp_password = tok-5ecret-Zq9\n",
         "s.txt:4: smtp_password is set twice"},
        {"http_password =\n", "s.txt:1: http_password is empty"},
        {"http_password = tok-5ecret-Zq9\x01\n", "s.txt:1: http_password contains a control"},
    };
    for (const auto& entry : cases) {
        const auto parsed = parse_credentials(entry.text, "s.txt");
        ASSERT_FALSE(parsed.ok()) << entry.text;
        EXPECT_EQ(parsed.error().kind, ErrorKind::invalid_input);
        EXPECT_NE(parsed.error().message.find(entry.expected), std::string::npos)
            << parsed.error().message;
        EXPECT_EQ(parsed.error().message.find(token), std::string::npos) << parsed.error().message;
    }
}

class CredentialsFile : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) {
            GTEST_SKIP() << "needs root to make root-owned files and to switch users";
        }
    }
    std::filesystem::path write(mode_t mode) {
        const auto path = dir / "otpgate.secrets";
        test::write_file(path, std::string("twilio_auth_token = ") + token + "\n", mode);
        return path;
    }
    test::TempDir dir;
};

TEST_F(CredentialsFile, RootOwnedPrivateFilesLoad) {
    for (const mode_t mode : {0600u, 0640u, 0400u}) {
        const auto loaded = load_credentials(write(mode));
        ASSERT_TRUE(loaded.ok()) << loaded.error().message;
        EXPECT_EQ(text(loaded->find("twilio_auth_token")), token);
    }
}

TEST_F(CredentialsFile, GroupWritableOrOtherAccessIsRefused) {
    for (const mode_t mode : {0644u, 0604u, 0660u, 0620u, 0601u}) {
        const auto loaded = load_credentials(write(mode));
        ASSERT_FALSE(loaded.ok()) << std::oct << mode;
        EXPECT_EQ(loaded.error().kind, ErrorKind::unavailable);
        EXPECT_NE(loaded.error().message.find("unsafe credentials file"), std::string::npos)
            << loaded.error().message;
        EXPECT_NE(loaded.error().message.find("unsafe permissions"), std::string::npos);
    }
}

TEST_F(CredentialsFile, AFileNotOwnedByRootIsRefused) {
    const auto path = write(0600);
    ASSERT_EQ(chown(path.c_str(), nobody, nobody), 0);
    const auto loaded = load_credentials(path);
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message.find("is owned by uid 65534"), std::string::npos)
        << loaded.error().message;
}

TEST_F(CredentialsFile, SymlinksAndDirectoriesAreRefused) {
    const auto target = write(0600);
    const auto link = dir / "link.secrets";
    std::filesystem::create_symlink(target, link);
    const auto via_link = load_credentials(link);
    ASSERT_FALSE(via_link.ok());
    EXPECT_NE(via_link.error().message.find("symbolic link"), std::string::npos)
        << via_link.error().message;

    std::filesystem::create_directory(dir / "d");
    const auto directory = load_credentials(dir / "d");
    ASSERT_FALSE(directory.ok());
    EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos);
}

TEST_F(CredentialsFile, MissingFileSaysSo) {
    const auto loaded = load_credentials(dir / "absent");
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unavailable);
    EXPECT_EQ(loaded.error().message,
              "cannot read credentials file " + (dir / "absent").string() + ": it does not exist");
}

// The module running unprivileged (a screen locker) cannot read the file;
// the sender must say so instead of sending without credentials.
TEST_F(CredentialsFile, UnprivilegedCallerGetsAClearPermissionError) {
    const auto path = write(0600);
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    const std::string expected =
        "cannot read credentials file " + path.string() + ": Permission denied";
    const int code = test::run_in_child([&] {
        if (setgroups(0, nullptr) != 0 || setresgid(nobody, nobody, nobody) != 0 ||
            setresuid(nobody, nobody, nobody) != 0) {
            return 10;
        }
        const auto loaded = load_credentials(path);
        if (loaded.ok() || loaded.error().message != expected) {
            return 11;
        }
        Config config;
        config.delivery.sms_backend = SmsBackend::twilio;
        config.delivery.twilio_account_sid = "AC0123456789abcdef0123456789abcdef";
        config.delivery.twilio_from = "+15005550006";
        config.delivery.credentials_file = path;
        CapturingLogger logger;
        const auto sender = make_message_sender(config.delivery, Channel::sms, logger);
        if (sender.ok() || sender.error().kind != ErrorKind::unavailable ||
            sender.error().message != expected) {
            return 12;
        }
        return 0;
    });
    EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace otpgate::core
