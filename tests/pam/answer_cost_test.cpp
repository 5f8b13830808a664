// What one answer of backup-code length costs the built module, counted
// from outside it: pbkdf2_counter.c, preloaded, logs each PBKDF2
// derivation and its iteration count. Every kind of user must cost exactly
// one derivation at the host's count, so that the time an answer takes
// tells no one who is enrolled, and no user's file sets root's CPU cost.
// Counts, not times: exact, so this cannot flake on a busy machine.
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "otpgate/core/state/lockout.hpp"
#include "pam_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

constexpr unsigned host_iterations = sandbox_backup_iterations;

// One attempt (the otpgate-args service sets max_attempts=1).
LoginRequest one_answer(const std::string& user, const std::string& typed) {
    LoginRequest request;
    request.service = "otpgate-args";
    request.user = user;
    request.answers = {typed};
    return request;
}

class AnswerCostTest : public PamTest {
protected:
    // The iteration count of every derivation the login made.
    std::vector<unsigned> derivations_of(const std::string& user, const std::string& typed) {
        const auto log = sandbox().root() / "pbkdf2.log";
        std::filesystem::remove(log);
        ::setenv("OTPGATE_TEST_PBKDF2_LOG", log.c_str(), 1);
        m_last = login(one_answer(user, typed));
        ::unsetenv("OTPGATE_TEST_PBKDF2_LOG");
        std::vector<unsigned> counts;
        if (std::filesystem::exists(log)) {
            std::istringstream lines(read_file(log));
            for (unsigned count = 0; lines >> count;) {
                counts.push_back(count);
            }
        }
        return counts;
    }

    void save(const std::string& user, const core::Enrollment& enrollment) {
        sandbox().save_enrollment(user, enrollment);
    }

    void lock(const std::string& user) {
        const core::LockoutPolicy policy;  // the defaults the sandbox's config keeps
        const auto storage = sandbox().storage();
        auto locked = storage->begin(user);
        ASSERT_TRUE(locked.ok()) << locked.error().message;
        for (unsigned i = 0; i < policy.max_failures; ++i) {
            core::record_failure((*locked)->state(), policy, sandbox().time() - 10);
        }
        ASSERT_TRUE((*locked)->commit().ok());
    }

    LoginResult m_last;
};

TEST_F(AnswerCostTest, EveryUserCostsOneDerivationAtTheHostsCount) {
    enroll("alice");               // TOTP and backup codes
    enroll("bob", {}, 0);          // TOTP, no backup codes
    auto carol = enroll("carol");  // a file that asks for ten million rounds
    carol.enrollment.backup.iterations = 10'000'000;
    save("carol", carol.enrollment);
    // dave: not enrolled; "nosuchuser": no such user
    sandbox().plant_enrollment("erin", "version = 1\n");  // refused
    enroll("frank");
    lock("frank");

    // Ten digits: otpgate's own backup codes. Eight: TOTP codes of eight
    // digits, and scratch codes imported from google-authenticator.
    for (const std::string typed : {"1234567890", "12345678"}) {
        for (const std::string user :
             {"alice", "bob", "carol", "dave", "nosuchuser", "erin", "frank"}) {
            const auto counts = derivations_of(user, typed);
            EXPECT_EQ(m_last.auth_rc, PAM_AUTH_ERR) << m_last.describe();
            EXPECT_EQ(counts, std::vector<unsigned>{host_iterations})
                << user << ", " << typed.size() << " digits\n"
                << m_last.describe();
        }
    }
}

TEST_F(AnswerCostTest, AFileWithAnotherCountKeepsTotpAndLosesItsBackupCodes) {
    auto carol = enroll("carol");
    carol.enrollment.backup.iterations = 10'000'000;
    save("carol", carol.enrollment);

    const auto backup = login(one_answer("carol", carol.backup_codes.at(0)));
    EXPECT_EQ(backup.auth_rc, PAM_AUTH_ERR) << backup.describe();
    EXPECT_TRUE(
        backup.logged("backup codes of user carol were hashed with 10000000 PBKDF2 "
                      "iterations, not this host's backup_code_iterations (1000)"))
        << backup.describe();
    EXPECT_TRUE(backup.logged("otpgate backup-codes --user carol")) << backup.describe();

    const auto totp = login("carol", {code_at(carol)});
    EXPECT_EQ(totp.auth_rc, PAM_SUCCESS) << totp.describe();
}

}  // namespace
}  // namespace otpgate::pam_tests
