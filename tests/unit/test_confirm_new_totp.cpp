// AttemptRecorder::confirm_new_totp: the code that confirms a user's new
// TOTP enrollment is checked against the new secret alone, and recorded so
// that it cannot log in afterwards; wrong codes count, locks hold.
#include <gtest/gtest.h>

#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/login/recorded_check.hpp"
#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

constexpr std::int64_t now = 1'700'000'015;  // 15 s into a step

class ConfirmNewTotp : public ::testing::Test {
protected:
    test::TempDir dir;
    Config config;
    CapturingLogger logger;
    OpenSslRandom random;
    const std::string user = "alice";

    void SetUp() override { config.state_dir = dir / "state"; }

    [[nodiscard]] UserState state() const {
        auto read = StateStore(config.state_dir).read_existing(user);
        return read && *read ? **read : UserState{};
    }
    AttemptResult confirm(const Enrollment& enrollment, std::string_view code) {
        const auto storage = open_storage(config, logger);
        AttemptRecorder recorder(**storage, user, config, logger, std::nullopt);
        return recorder.confirm_new_totp(enrollment, code, now);
    }
};

TEST_F(ConfirmNewTotp, TheConfirmingCodeIsSpentForLogins) {
    const Enrollment old_app = make_totp_enrollment(config, random, now - 600).enrollment;
    const Enrollment new_app = make_totp_enrollment(config, random, now).enrollment;
    // The old app's code of this very step was used to prove the change.
    {
        const auto storage = open_storage(config, logger);
        AttemptRecorder recorder(**storage, user, config, logger, std::nullopt);
        ASSERT_EQ(recorder.check_and_record(
                      old_app, totp(old_app.totp_secret, now, old_app.totp).view(), now),
                  AttemptResult::accepted);
    }
    // The new app's code of the same step still confirms the new secret.
    const SecretString code = totp(new_app.totp_secret, now, new_app.totp);
    EXPECT_EQ(confirm(new_app, code.view()), AttemptResult::accepted);
    UserState recorded = state();
    EXPECT_EQ(recorded.enrollment_id, new_app.id);
    EXPECT_EQ(recorded.last_totp_step, totp_step(now, new_app.totp.period));
    // At a login the confirming code is a replay.
    EXPECT_EQ(check_code(new_app, recorded, code.view(), now, check_cost(config)),
              CodeVerdict::replayed);
}

TEST_F(ConfirmNewTotp, AWrongCodeCountsAndALockHolds) {
    config.policy.lockout.max_failures = 2;
    const Enrollment new_app = make_totp_enrollment(config, random, now).enrollment;
    const SecretString right = totp(new_app.totp_secret, now, new_app.totp);
    const std::string wrong = right.view() == "000000" ? "111111" : "000000";
    EXPECT_EQ(confirm(new_app, wrong), AttemptResult::rejected);
    EXPECT_EQ(state().recent_failures.size(), 1U);
    EXPECT_EQ(state().enrollment_id, "");  // nothing adopted
    EXPECT_EQ(confirm(new_app, wrong), AttemptResult::rejected);
    EXPECT_EQ(confirm(new_app, right.view()), AttemptResult::locked);
    EXPECT_FALSE(state().last_totp_step.has_value());
}

}  // namespace
}  // namespace otpgate::core
