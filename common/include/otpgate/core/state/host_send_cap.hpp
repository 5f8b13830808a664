// host_max_sms_per_hour: a cap on the SMS this host sends in any hour, all
// users together, so that a flood of logins (or of users asking for codes)
// cannot run up the SMS bill. The count lives in state_dir/.host-sms-sends,
// owned by root, in 60 one-minute buckets: bounded whatever the traffic,
// and exact to the minute. Read and updated under an exclusive lock.
// Layout: docs/state-records.md.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/system/file_lock.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

inline constexpr const char* host_send_file_name = ".host-sms-sends";

class HostSendLog {
public:
    static constexpr std::size_t bucket_count = 60;
    static constexpr std::size_t encoded_size = 8 + bucket_count * 8 + 32;

    // Sends within the hour ending at `now` (whole minutes).
    [[nodiscard]] std::uint64_t sent_in_hour(std::int64_t now) const;
    // Seconds until fewer than `cap` sends count, 0 if that is already so.
    [[nodiscard]] std::int64_t retry_after(std::int64_t now, std::uint64_t cap) const;
    void record(std::int64_t now);

    void encode(std::uint8_t* out) const;  // encoded_size bytes, with a checksum
    // nullopt when the magic or checksum is wrong (a torn write).
    static std::optional<HostSendLog> decode(const std::uint8_t* in);

private:
    struct Bucket {
        std::uint32_t minute = 0;  // Unix time / 60
        std::uint32_t count = 0;
    };
    std::array<Bucket, bucket_count> m_buckets{};
};

struct HostSendVerdict {
    bool allowed = false;
    std::int64_t retry_after = 0;  // seconds, when not allowed
};

// Under the lock: when fewer than `cap` SMS went out in the last hour, one
// more is recorded at `now` and allowed. A damaged record is logged and
// started afresh (the cap must not stop every SMS for good). The lock is
// waited for at most `lock_timeout` (unavailable past it).
Result<HostSendVerdict> reserve_host_send(
    const std::filesystem::path& state_dir, std::uint64_t cap, std::int64_t now, Logger& logger,
    std::chrono::milliseconds lock_timeout = default_lock_timeout);

}  // namespace otpgate::core
