// host_max_sms_per_hour: the per-minute count, and the root-owned file.
#include <gtest/gtest.h>

#include <array>

#include "otpgate/core/state/host_send_cap.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

constexpr std::int64_t t0 = 1'767'225'600;  // on a minute boundary

TEST(HostSendLog, CountsTheLastHourByTheMinute) {
    HostSendLog log;
    log.record(t0);
    log.record(t0 + 59);
    log.record(t0 + 60);
    EXPECT_EQ(log.sent_in_hour(t0 + 60), 3U);
    EXPECT_EQ(log.sent_in_hour(t0 + 3599), 3U);
    EXPECT_EQ(log.sent_in_hour(t0 + 3600), 1U);  // the first minute has left the hour
    EXPECT_EQ(log.sent_in_hour(t0 + 3660), 0U);
}

TEST(HostSendLog, RetryAfterIsWhenEnoughSendsLeaveTheHour) {
    HostSendLog log;
    log.record(t0 + 10);
    log.record(t0 + 70);
    log.record(t0 + 130);
    EXPECT_EQ(log.retry_after(t0 + 200, 4), 0);
    EXPECT_EQ(log.retry_after(t0 + 200, 3), 3600 - 200);       // the first minute leaves
    EXPECT_EQ(log.retry_after(t0 + 200, 2), 3600 + 60 - 200);  // two must leave
}

TEST(HostSendLog, OldBucketsAreReused) {
    HostSendLog log;
    log.record(t0);
    log.record(t0 + 3600);  // the same bucket an hour later
    EXPECT_EQ(log.sent_in_hour(t0 + 3600), 1U);
}

TEST(HostSendLog, EncodingRoundTripsAndDetectsDamage) {
    HostSendLog log;
    log.record(t0);
    log.record(t0 + 61);
    std::array<std::uint8_t, HostSendLog::encoded_size> bytes{};
    log.encode(bytes.data());
    const auto decoded = HostSendLog::decode(bytes.data());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->sent_in_hour(t0 + 100), 2U);
    bytes[20] ^= 1;
    EXPECT_FALSE(HostSendLog::decode(bytes.data()).has_value());
}

TEST(HostSendCap, AllowsUpToTheCapThenRefuses) {
    test::TempDir dir;
    CapturingLogger logger;
    for (int i = 0; i < 3; ++i) {
        const auto verdict = reserve_host_send(dir / "state", 3, t0 + i, logger);
        ASSERT_TRUE(verdict.ok()) << verdict.error().message;
        EXPECT_TRUE(verdict->allowed);
    }
    const auto refused = reserve_host_send(dir / "state", 3, t0 + 100, logger);
    ASSERT_TRUE(refused.ok());
    EXPECT_FALSE(refused->allowed);
    EXPECT_EQ(refused->retry_after, 3500);
    // A refused send is not counted: the hour later, room again.
    const auto later = reserve_host_send(dir / "state", 3, t0 + 3600, logger);
    ASSERT_TRUE(later.ok());
    EXPECT_TRUE(later->allowed);
    EXPECT_EQ(test::file_mode(dir / "state" / ".host-sms-sends"), 0600U);
    EXPECT_TRUE(logger.lines().empty());
}

TEST(HostSendCap, ADamagedRecordStartsAgainWithAWarning) {
    test::TempDir dir;
    CapturingLogger logger;
    ASSERT_TRUE(reserve_host_send(dir / "state", 1, t0, logger).ok());
    test::write_file(dir / "state" / ".host-sms-sends", "garbage", 0600);
    const auto verdict = reserve_host_send(dir / "state", 1, t0 + 1, logger);
    ASSERT_TRUE(verdict.ok());
    EXPECT_TRUE(verdict->allowed);
    EXPECT_TRUE(logger.contains("the host SMS count starts again"));
}

TEST(HostSendCap, RefusesAFileOthersCouldWrite) {
    test::TempDir dir;
    CapturingLogger logger;
    ASSERT_TRUE(reserve_host_send(dir / "state", 1, t0, logger).ok());
    ASSERT_EQ(chmod((dir / "state" / ".host-sms-sends").c_str(), 0666), 0);
    const auto refused = reserve_host_send(dir / "state", 1, t0, logger);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::unsafe);
}

}  // namespace
}  // namespace otpgate::core
