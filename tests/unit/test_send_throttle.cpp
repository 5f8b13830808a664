// The per-user send limits: cooldown and sends per hour.
#include <gtest/gtest.h>

#include "otpgate/core/state/send_throttle.hpp"

namespace otpgate::core {
namespace {

constexpr std::int64_t t0 = 1700000000;

TEST(SendThrottle, FirstSendIsAllowed) {
    const auto verdict = check_send_throttle(UserState{}, t0, {30, 10});
    EXPECT_TRUE(verdict.allowed);
    EXPECT_EQ(verdict.retry_after, 0);
}

TEST(SendThrottle, CooldownBetweenSends) {
    UserState state;
    record_send(state, t0);
    auto verdict = check_send_throttle(state, t0 + 10, {30, 10});
    EXPECT_FALSE(verdict.allowed);
    EXPECT_EQ(verdict.retry_after, 20);
    EXPECT_TRUE(check_send_throttle(state, t0 + 30, {30, 10}).allowed);
}

TEST(SendThrottle, AtMostNPerHourInAnySlidingHour) {
    UserState state;
    const SendPolicy policy{0, 3};
    record_send(state, t0);
    record_send(state, t0 + 100);
    record_send(state, t0 + 200);
    auto verdict = check_send_throttle(state, t0 + 300, policy);
    EXPECT_FALSE(verdict.allowed);
    EXPECT_EQ(verdict.retry_after, 3600 - 300);  // when the first send leaves the hour
    EXPECT_FALSE(check_send_throttle(state, t0 + 3599, policy).allowed);
    EXPECT_TRUE(check_send_throttle(state, t0 + 3600, policy).allowed);
    // Walk an hour of attempts one second apart: never more than 3 sends
    // fall inside any hour.
    UserState walk;
    std::vector<std::int64_t> sent;
    for (std::int64_t now = t0; now < t0 + 3 * 3600; ++now) {
        if (check_send_throttle(walk, now, policy).allowed) {
            record_send(walk, now);
            sent.push_back(now);
        }
    }
    for (std::size_t i = 3; i < sent.size(); ++i) {
        EXPECT_GE(sent[i] - sent[i - 3], 3600) << i;
    }
    EXPECT_EQ(sent.size(), 9u);
}

TEST(SendThrottle, ClockStepBackwardsDoesNotOpenTheGate) {
    UserState state;
    record_send(state, t0);
    const auto verdict = check_send_throttle(state, t0 - 1000, {30, 10});
    EXPECT_FALSE(verdict.allowed);
    EXPECT_EQ(verdict.retry_after, 30);
}

TEST(SendThrottle, RecordForgetsOldSendsAndKeepsAtMostTheCap) {
    UserState state;
    record_send(state, t0);
    record_send(state, t0 + 3600);
    ASSERT_EQ(state.recent_sends.size(), 1u);
    EXPECT_EQ(state.recent_sends.front(), t0 + 3600);
    for (std::int64_t i = 0; i < 100; ++i) {
        record_send(state, t0 + 4000 + i);
    }
    EXPECT_EQ(state.recent_sends.size(), max_recorded_sends);
    EXPECT_EQ(state.recent_sends.back(), t0 + 4099);
}

}  // namespace
}  // namespace otpgate::core
