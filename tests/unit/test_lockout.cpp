// Lockout arithmetic: failures in a sliding window, a lock of fixed length
// that attempts during it cannot extend. Time is a number; nothing sleeps.
#include <gtest/gtest.h>

#include "otpgate/core/state/lockout.hpp"

namespace otpgate::core {
namespace {

constexpr std::int64_t t0 = 1'767'225'600;
const LockoutPolicy defaults{5, 300, 900};

TEST(Lockout, DefaultsAreFiveInFiveMinutesForFifteen) {
    const LockoutPolicy policy;
    EXPECT_EQ(policy.max_failures, 5U);
    EXPECT_EQ(policy.window, 300U);
    EXPECT_EQ(policy.duration, 900U);
}

TEST(Lockout, TheFifthFailureWithinTheWindowLocks) {
    UserState state;
    for (int i = 0; i < 4; ++i) {
        EXPECT_FALSE(record_failure(state, defaults, t0 + 60 * i));
        EXPECT_FALSE(lock_remaining(state, defaults, t0 + 60 * i));
    }
    EXPECT_EQ(failures_in_window(state, defaults, t0 + 240), 4U);
    EXPECT_TRUE(record_failure(state, defaults, t0 + 299));
    EXPECT_EQ(lock_remaining(state, defaults, t0 + 299), 900);
    EXPECT_EQ(lock_remaining(state, defaults, t0 + 299 + 899), 1);
    EXPECT_FALSE(lock_remaining(state, defaults, t0 + 299 + 900));
    // The count started over with the lock.
    EXPECT_EQ(failures_in_window(state, defaults, t0 + 299), 0U);
}

TEST(Lockout, FailuresThatLeftTheWindowDoNotCount) {
    UserState state;
    for (int i = 0; i < 4; ++i) {
        record_failure(state, defaults, t0 + i);
    }
    // Exactly 300 s after the first: it has left the window.
    EXPECT_FALSE(record_failure(state, defaults, t0 + 300));
    EXPECT_EQ(failures_in_window(state, defaults, t0 + 300), 4U);
    EXPECT_TRUE(record_failure(state, defaults, t0 + 300));
}

TEST(Lockout, ALockEndsOnTimeWhateverHappensDuringIt) {
    UserState state;
    for (int i = 0; i < 5; ++i) {
        record_failure(state, defaults, t0);
    }
    ASSERT_TRUE(lock_remaining(state, defaults, t0));
    // What a login does during a lock: nothing is recorded (the recorder
    // checks lock_remaining first), so the state and the end stay put.
    const UserState during = state;
    EXPECT_EQ(lock_remaining(during, defaults, t0 + 899), 1);
    EXPECT_FALSE(lock_remaining(during, defaults, t0 + 900));
    // After it: five fresh tries.
    for (int i = 0; i < 4; ++i) {
        EXPECT_FALSE(record_failure(state, defaults, t0 + 900 + i));
    }
    EXPECT_TRUE(record_failure(state, defaults, t0 + 904));
}

TEST(Lockout, ASuccessClearsTheCountAndRecordsTheTime) {
    UserState state;
    for (int i = 0; i < 4; ++i) {
        record_failure(state, defaults, t0 + i);
    }
    record_success(state, t0 + 10);
    EXPECT_EQ(state.last_success, t0 + 10);
    EXPECT_EQ(failures_in_window(state, defaults, t0 + 10), 0U);
    EXPECT_FALSE(record_failure(state, defaults, t0 + 11));
}

TEST(Lockout, ClearingLiftsALock) {
    UserState state;
    for (int i = 0; i < 5; ++i) {
        record_failure(state, defaults, t0);
    }
    clear_lockout(state);
    EXPECT_FALSE(lock_remaining(state, defaults, t0 + 1));
    EXPECT_EQ(state.locked_at, 0);
}

TEST(Lockout, ZeroFailuresMeansOffAndIgnoresAnOldLock) {
    const LockoutPolicy off{0, 300, 900};
    UserState state;
    for (int i = 0; i < 20; ++i) {
        EXPECT_FALSE(record_failure(state, off, t0));
    }
    EXPECT_LE(state.recent_failures.size(), max_recorded_failures);
    state.locked_at = t0;
    EXPECT_FALSE(lock_remaining(state, off, t0 + 1));
}

TEST(Lockout, ALongerOrShorterDurationAppliesToACurrentLock) {
    UserState state;
    state.locked_at = t0;
    EXPECT_EQ(lock_remaining(state, LockoutPolicy{5, 300, 60}, t0 + 30), 30);
    EXPECT_EQ(lock_remaining(state, LockoutPolicy{5, 300, 3600}, t0 + 30), 3570);
}

TEST(Lockout, AClockThatWentBackNeitherLiftsNorLengthensALock) {
    UserState state;
    state.locked_at = t0;
    EXPECT_EQ(lock_remaining(state, defaults, t0 - 5000), 900);
    UserState failures;
    for (int i = 0; i < 3; ++i) {
        record_failure(failures, defaults, t0 + 100);
    }
    // Back in time by an hour: earlier failures count as "now", not later.
    record_failure(failures, defaults, t0 - 3600);
    for (const auto at : failures.recent_failures) {
        EXPECT_LE(at, t0 - 3600 + 300);
    }
}

TEST(Lockout, TheRecordIsBounded) {
    const LockoutPolicy sixteen{16, 3600, 900};
    UserState state;
    for (int i = 0; i < 15; ++i) {
        EXPECT_FALSE(record_failure(state, sixteen, t0 + i));
    }
    EXPECT_TRUE(record_failure(state, sixteen, t0 + 15));
    EXPECT_LE(state.recent_failures.size(), max_recorded_failures);
}

}  // namespace
}  // namespace otpgate::core
