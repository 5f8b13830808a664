#include "otpgate/core/state/host_send_cap.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "little_endian.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/system/descriptor_io.hpp"
#include "otpgate/core/system/unique_fd.hpp"
#include "sealed_record.hpp"

namespace otpgate::core {
namespace {

using little_endian::get_u32;
using little_endian::put_u32;

// Layout: docs/state-records.md.
constexpr SealedRecordFormat log_format("OTPGHS01", HostSendLog::encoded_size);
constexpr std::int64_t minutes_per_hour = 60;
static_assert(8 + 8 * HostSendLog::bucket_count == log_format.checksum_offset());

std::int64_t minute_of(std::int64_t now) {
    return std::max<std::int64_t>(0, now) / 60;
}

Error cap_error(ErrorKind kind, const std::filesystem::path& path, const std::string& what) {
    return make_error(kind, "host send record " + path.string() + ": " + what);
}

}  // namespace

std::uint64_t HostSendLog::sent_in_hour(std::int64_t now) const {
    const std::int64_t current = minute_of(now);
    std::uint64_t total = 0;
    for (const auto& bucket : m_buckets) {
        // A bucket "in the future" (the clock went back) still counts.
        if (bucket.count > 0 &&
            static_cast<std::int64_t>(bucket.minute) > current - minutes_per_hour) {
            total += bucket.count;
        }
    }
    return total;
}

std::int64_t HostSendLog::retry_after(std::int64_t now, std::uint64_t cap) const {
    std::uint64_t total = sent_in_hour(now);
    if (total < cap) {
        return 0;
    }
    const std::int64_t current = minute_of(now);
    std::vector<Bucket> counted;
    for (const auto& bucket : m_buckets) {
        if (bucket.count > 0 &&
            static_cast<std::int64_t>(bucket.minute) > current - minutes_per_hour) {
            counted.push_back(bucket);
        }
    }
    std::sort(counted.begin(), counted.end(),
              [](const Bucket& a, const Bucket& b) { return a.minute < b.minute; });
    for (const auto& bucket : counted) {
        total -= bucket.count;
        if (total < cap) {
            // That minute leaves the hour when its last second does.
            const std::int64_t frees_at =
                (static_cast<std::int64_t>(bucket.minute) + minutes_per_hour) * 60;
            return std::max<std::int64_t>(1, frees_at - now);
        }
    }
    return minutes_per_hour * 60;  // cap 0 is "no cap" and never gets here
}

void HostSendLog::record(std::int64_t now) {
    const auto minute =
        static_cast<std::uint32_t>(std::min<std::int64_t>(minute_of(now), 0xffffffff));
    Bucket& bucket = m_buckets[minute % bucket_count];
    if (bucket.minute != minute) {
        bucket = Bucket{minute, 0};
    }
    if (bucket.count < 0xffffffffU) {
        ++bucket.count;
    }
}

void HostSendLog::encode(std::uint8_t* out) const {
    log_format.start(out);
    for (std::size_t i = 0; i < bucket_count; ++i) {
        put_u32(out + 8 + 8 * i, m_buckets[i].minute);
        put_u32(out + 12 + 8 * i, m_buckets[i].count);
    }
    log_format.seal(out);
}

std::optional<HostSendLog> HostSendLog::decode(const std::uint8_t* in) {
    if (!log_format.check(in)) {
        return std::nullopt;
    }
    HostSendLog log;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        log.m_buckets[i] = Bucket{get_u32(in + 8 + 8 * i), get_u32(in + 12 + 8 * i)};
    }
    return log;
}

Result<HostSendVerdict> reserve_host_send(const std::filesystem::path& state_dir, std::uint64_t cap,
                                          std::int64_t now, Logger& logger,
                                          std::chrono::milliseconds lock_timeout) {
    auto dir = open_state_directory(state_dir);
    if (!dir) {
        return dir.error();
    }
    const std::filesystem::path path = state_dir / host_send_file_name;
    UniqueFd fd(::openat(dir->get(), host_send_file_name,
                         O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600));
    if (!fd.valid()) {
        return cap_error(errno == ELOOP ? ErrorKind::unsafe : ErrorKind::unavailable, path,
                         "cannot open: " + errno_text(errno));
    }
    if (auto locked = lock_file(fd.get(), LockMode::exclusive, lock_timeout, path); !locked) {
        return locked.error();
    }
    struct stat info {};
    if (fstat(fd.get(), &info) != 0 || !is_private_record(info)) {
        return cap_error(ErrorKind::unsafe, path, private_record_rule());
    }
    std::array<std::uint8_t, HostSendLog::encoded_size + 1> bytes{};
    const ssize_t got = ::pread(fd.get(), bytes.data(), bytes.size(), 0);
    HostSendLog log;
    if (got == static_cast<ssize_t>(HostSendLog::encoded_size)) {
        if (auto decoded = HostSendLog::decode(bytes.data())) {
            log = *decoded;
        } else {
            logger.warning(path.string() + " is damaged; the host SMS count starts again");
        }
    } else if (got != 0) {
        logger.warning(path.string() + " has the wrong size; the host SMS count starts again");
    }
    if (log.sent_in_hour(now) >= cap) {
        return HostSendVerdict{false, log.retry_after(now, cap)};
    }
    log.record(now);
    log.encode(bytes.data());
    if (::pwrite(fd.get(), bytes.data(), HostSendLog::encoded_size, 0) !=
            static_cast<ssize_t>(HostSendLog::encoded_size) ||
        fdatasync(fd.get()) != 0) {
        return cap_error(ErrorKind::io, path, "cannot write: " + errno_text(errno));
    }
    return HostSendVerdict{true, 0};
}

}  // namespace otpgate::core
