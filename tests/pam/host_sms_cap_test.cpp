// SMS users through real libpam, with the file backend standing in for a
// provider (each SMS is a line in an outbox): host_max_sms_per_hour caps
// what the host sends, all users together, and a locked user gets no SMS.
#include <security/pam_appl.h>

#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "policy_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

class HostSmsCapTest : public PolicyTest {
protected:
    void SetUp() override {
        PolicyTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        for (const char* user : {"alice", "bob", "carol"}) {
            enroll_sms(user, "+447700900123");
        }
    }

    void configure(const std::string& extra) {
        sandbox().write_config("sms_backend = file\nsms_outbox = " + outbox().string() +
                               "\nsms_allowed_countries = 44\nmax_attempts = 1\n" + extra);
    }

    [[nodiscard]] std::filesystem::path outbox() { return sandbox().root() / "sms-outbox"; }

    [[nodiscard]] std::size_t sms_sent() {
        if (!std::filesystem::exists(outbox())) {
            return 0;
        }
        const std::string text = read_file(outbox());
        return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    }

    // Enrolled by SMS with the number verified, as `otpgate enroll sms` leaves it.
    void enroll_sms(const std::string& user, const std::string& number) {
        core::OpenSslRandom random;
        core::Enrollment enrollment;
        enrollment.id = core::random_hex(random, 16);
        enrollment.method = core::Method::sms;
        enrollment.destination = number;
        enrollment.created = sandbox().time();
        enrollment.backup =
            core::make_backup_codes(random, 2, 10, sandbox_backup_iterations).stored;
        sandbox().save_enrollment(user, enrollment);
        const auto storage = sandbox().storage();
        auto locked = storage->begin(user);
        ASSERT_TRUE(locked.ok());
        (*locked)->state().verified_destination =
            core::destination_fingerprint(core::Channel::sms, number);
        ASSERT_TRUE((*locked)->commit().ok());
    }

    static bool asked_for_a_sent_code(const LoginResult& result) {
        return !result.prompts.empty() &&
               result.prompts.front().text.rfind("Code sent by SMS to ", 0) == 0;
    }
};

TEST_F(HostSmsCapTest, TheCapCountsEveryUsersSms) {
    configure("host_max_sms_per_hour = 2");
    EXPECT_TRUE(asked_for_a_sent_code(login("alice", {"000000"}, "policy")));
    EXPECT_TRUE(asked_for_a_sent_code(login("bob", {"000000"}, "policy")));
    EXPECT_EQ(sms_sent(), 2U);

    const auto capped = login("carol", {"000000"}, "policy");
    EXPECT_EQ(capped.auth_rc, PAM_AUTH_ERR) << capped.describe();
    EXPECT_EQ(sms_sent(), 2U);
    ASSERT_EQ(capped.prompt_count(), 1U) << capped.describe();
    EXPECT_EQ(capped.prompts.front().text.rfind("Too many codes sent; try again in ", 0), 0U)
        << capped.describe();
    EXPECT_TRUE(capped.logged("host_max_sms_per_hour (2) reached: no SMS for user carol"))
        << capped.describe();

    sandbox().set_time(sandbox().time() + 3600);
    EXPECT_TRUE(asked_for_a_sent_code(login("carol", {"000000"}, "policy")));
    EXPECT_EQ(sms_sent(), 3U);
}

TEST_F(HostSmsCapTest, NoCapByDefault) {
    configure("");
    for (const char* user : {"alice", "bob", "carol"}) {
        EXPECT_TRUE(asked_for_a_sent_code(login(user, {"000000"}, "policy")));
    }
    EXPECT_EQ(sms_sent(), 3U);
    EXPECT_FALSE(std::filesystem::exists(sandbox().state_dir() / ".host-sms-sends"));
}

TEST_F(HostSmsCapTest, TheCountLivesInARootOnlyFile) {
    configure("host_max_sms_per_hour = 100");
    login("alice", {"000000"}, "policy");
    struct stat info {};
    ASSERT_EQ(stat((sandbox().state_dir() / ".host-sms-sends").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600U);
    EXPECT_EQ(info.st_uid, 0U);
}

TEST_F(HostSmsCapTest, WrongSentCodesLockAndALockedUserGetsNoSms) {
    configure("lockout_failures = 3");
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(asked_for_a_sent_code(login("alice", {"000000"}, "policy")));
        sandbox().set_time(sandbox().time() + 30);  // past send_cooldown
    }
    EXPECT_EQ(sms_sent(), 3U);
    const auto locked = login("alice", {"000000"}, "policy");
    EXPECT_EQ(locked.auth_rc, PAM_AUTH_ERR) << locked.describe();
    // The dialogue of an SMS user, though nothing was sent: it tells no lock.
    EXPECT_TRUE(asked_for_a_sent_code(locked)) << locked.describe();
    EXPECT_TRUE(locked.logged("is locked for")) << locked.describe();
    EXPECT_EQ(sms_sent(), 3U);
}

}  // namespace
}  // namespace otpgate::pam_tests
