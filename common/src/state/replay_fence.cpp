#include "otpgate/core/state/replay_fence.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "little_endian.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/system/descriptor_io.hpp"
#include "otpgate/core/system/unique_fd.hpp"
#include "sealed_record.hpp"

namespace otpgate::core {
namespace {

using little_endian::get_u64;
using little_endian::put_u64;

// Slot layout: docs/state-records.md.
constexpr SealedRecordFormat slot_format("OTPGRF01", replay_fence_slot_size);
constexpr std::size_t sequence_offset = 8;
constexpr std::size_t newest_offset = 16;
constexpr std::size_t refused_offset = 24;
constexpr std::size_t boot_length_offset = 32;
constexpr std::size_t boot_offset = 33;
constexpr std::size_t max_boot_id_size = 48;
constexpr std::size_t checksum_offset = slot_format.checksum_offset();
static_assert(boot_offset + max_boot_id_size <= checksum_offset);

Error fence_error(ErrorKind kind, const std::filesystem::path& path, const std::string& what) {
    return make_error(kind, "replay fence " + path.string() + ": " + what);
}

struct FenceRead {
    ReplayFenceRecord record;
    std::uint64_t sequence = 0;
    std::size_t live_slot = 1;  // the next write goes to the other one
    bool damaged = false;       // neither slot valid in a file that has some
};

// The newest valid slot of an open, locked fence file.
Result<FenceRead> read_fence(int fd, const std::filesystem::path& path) {
    struct stat info {};
    if (fstat(fd, &info) != 0) {
        return fence_error(ErrorKind::io, path, "cannot stat: " + errno_text(errno));
    }
    if (!is_private_record(info)) {
        return fence_error(ErrorKind::unsafe, path, private_record_rule());
    }
    FenceRead read;
    if (info.st_size == 0) {
        return read;  // new: no boot has relied on it yet
    }
    std::array<char, replay_fence_file_size + 1> bytes{};
    const ssize_t got = ::pread(fd, bytes.data(), bytes.size(), 0);
    if (got < 0) {
        return fence_error(ErrorKind::io, path, "cannot read: " + errno_text(errno));
    }
    auto decoded =
        decode_replay_fence_file(std::string_view(bytes.data(), static_cast<std::size_t>(got)));
    if (!decoded) {
        read.damaged = true;
        return read;
    }
    read.record = std::move(decoded->record);
    read.sequence = decoded->sequence;
    read.live_slot = decoded->slot;
    return read;
}

// Makes sure that once the lock is released no login trusts a record a
// failed write may have left readable (written whole, but not on disk or
// not in the file's directory). A new fence becomes empty (new) again, as
// if never written; any other has the slot just written cleared, the live
// one left alone. If that fails too, the fence is damaged the other way
// (zeros over a new one, cut to one slot otherwise: neither reads as a
// record), which refuses the callers' whole window until it is rewritten.
// Should nothing change the file, a record that may never reach the disk
// stays readable and the fence must not be trusted: the problem, or empty.
std::string withdraw_record(int fd, bool was_new, off_t offset, std::size_t size) {
    const auto zero = [fd](off_t from, std::size_t length) {
        const std::array<std::uint8_t, replay_fence_file_size> zeros{};
        const ssize_t done = ::pwrite(fd, zeros.data(), length, from);
        return done == static_cast<ssize_t>(length) ? 0 : done < 0 ? errno : EIO;
    };
    const auto cut = [fd](off_t length) { return ftruncate(fd, length) == 0 ? 0 : errno; };
    const int withdrawn = was_new ? cut(0) : zero(offset, size);
    if (withdrawn == 0) {
        return {};
    }
    const int damaged =
        was_new ? zero(0, replay_fence_file_size) : cut(static_cast<off_t>(replay_fence_slot_size));
    if (damaged == 0) {
        return {};
    }
    return "a record that may not be on disk cannot be withdrawn (" + errno_text(withdrawn) +
           ", then " + errno_text(damaged) + "): no login may trust the fence";
}

Result<void> write_fence(int fd, const std::filesystem::path& path, const FenceRead& previous,
                         const ReplayFenceRecord& record) {
    // The slot not holding the live record. A new or damaged file is
    // written whole (the record in slot 0, zeros in slot 1), at its size.
    const bool whole = previous.damaged || previous.sequence == 0;
    const std::size_t target = whole ? 0 : 1 - previous.live_slot;
    std::array<std::uint8_t, replay_fence_file_size> bytes{};
    std::uint8_t* slot = bytes.data() + target * replay_fence_slot_size;
    if (!encode_replay_fence_slot(record, previous.sequence + 1, slot)) {
        return fence_error(ErrorKind::invalid_input, path, "boot id too long");
    }
    const std::uint8_t* from = whole ? bytes.data() : slot;
    const std::size_t size = whole ? replay_fence_file_size : replay_fence_slot_size;
    const auto offset = static_cast<off_t>(from - bytes.data());
    const ssize_t written = ::pwrite(fd, from, size, offset);
    std::string failure;
    if (written != static_cast<ssize_t>(size)) {
        failure = "cannot write: " + errno_text(written < 0 ? errno : EIO);
    } else if (whole && ftruncate(fd, static_cast<off_t>(replay_fence_file_size)) != 0) {
        failure = "cannot truncate: " + errno_text(errno);
    } else if (fdatasync(fd) != 0) {
        failure = "cannot sync: " + errno_text(errno);
    } else {
        return {};
    }
    // A failed pwrite changed nothing; whatever was written is withdrawn.
    // An error of kind `unsafe` tells the caller that this failed too.
    if (written > 0) {
        const bool was_new = previous.sequence == 0 && !previous.damaged;
        if (const std::string problem = withdraw_record(fd, was_new, offset, size);
            !problem.empty()) {
            return fence_error(ErrorKind::unsafe, path, failure + "; " + problem);
        }
    }
    return fence_error(ErrorKind::io, path, failure);
}

// Refused or covered by `record` as it is; nullopt when the step is newer
// than the record covers, which must then be advanced.
std::optional<FenceAdmission> settled_without_writing(const ReplayFenceRecord& record,
                                                      std::string_view boot_id,
                                                      std::int64_t step_start) {
    const std::int64_t refused_through = fence_refuses_through(record, boot_id);
    if (step_start <= refused_through) {
        return FenceAdmission{FenceVerdict::refused, refused_through, {}};
    }
    if (record.boot_id == boot_id && step_start <= record.newest_start) {
        return FenceAdmission{};
    }
    return std::nullopt;
}

// The record once this boot has accepted a step that began at `step_start`.
ReplayFenceRecord advanced(const ReplayFenceRecord& record, std::string_view boot_id,
                           std::int64_t step_start) {
    ReplayFenceRecord next;
    next.boot_id = std::string(boot_id);
    next.refused_through = fence_refuses_through(record, boot_id);
    next.newest_start =
        record.boot_id == boot_id ? std::max(record.newest_start, step_start) : step_start;
    return next;
}

Result<std::string> read_boot_id() {
    const char* path = "/proc/sys/kernel/random/boot_id";
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        return make_error(ErrorKind::unavailable,
                          std::string("cannot open ") + path + ": " + errno_text(errno));
    }
    std::array<char, 64> text{};
    const ssize_t got = ::read(fd.get(), text.data(), text.size());
    std::string id(text.data(), got > 0 ? static_cast<std::size_t>(got) : 0);
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) {
        id.pop_back();
    }
    if (id.empty() || id.size() > max_boot_id_size) {
        return make_error(ErrorKind::unavailable,
                          std::string("cannot read a boot id from ") + path);
    }
    return id;
}

}  // namespace

bool encode_replay_fence_slot(const ReplayFenceRecord& record, std::uint64_t sequence,
                              std::uint8_t* slot) {
    if (record.boot_id.size() > max_boot_id_size) {
        return false;
    }
    slot_format.start(slot);
    put_u64(slot + sequence_offset, sequence);
    put_u64(slot + newest_offset, static_cast<std::uint64_t>(record.newest_start));
    put_u64(slot + refused_offset, static_cast<std::uint64_t>(record.refused_through));
    slot[boot_length_offset] = static_cast<std::uint8_t>(record.boot_id.size());
    std::memcpy(slot + boot_offset, record.boot_id.data(), record.boot_id.size());
    slot_format.seal(slot);
    return true;
}

std::optional<std::pair<ReplayFenceRecord, std::uint64_t>> decode_replay_fence_slot(
    const std::uint8_t* slot) {
    if (!slot_format.check(slot)) {
        return std::nullopt;
    }
    const std::size_t boot_size = slot[boot_length_offset];
    if (boot_size > max_boot_id_size ||
        std::any_of(slot + boot_offset + boot_size, slot + checksum_offset,
                    [](std::uint8_t byte) { return byte != 0; })) {
        return std::nullopt;
    }
    ReplayFenceRecord record;
    record.boot_id.assign(reinterpret_cast<const char*>(slot + boot_offset), boot_size);
    record.newest_start = static_cast<std::int64_t>(get_u64(slot + newest_offset));
    record.refused_through = static_cast<std::int64_t>(get_u64(slot + refused_offset));
    return std::make_pair(std::move(record), get_u64(slot + sequence_offset));
}

std::optional<DecodedReplayFence> decode_replay_fence_file(std::string_view bytes) {
    if (bytes.size() != replay_fence_file_size) {
        return std::nullopt;
    }
    std::optional<DecodedReplayFence> newest;
    for (std::size_t slot = 0; slot < 2; ++slot) {
        auto decoded = decode_replay_fence_slot(
            reinterpret_cast<const std::uint8_t*>(bytes.data()) + slot * replay_fence_slot_size);
        if (decoded && (!newest || decoded->second > newest->sequence)) {
            newest = DecodedReplayFence{std::move(decoded->first), decoded->second, slot};
        }
    }
    return newest;
}

std::int64_t fence_refuses_through(const ReplayFenceRecord& record, std::string_view boot_id) {
    if (record.boot_id == boot_id) {
        return record.refused_through;
    }
    // Another boot: its unflushed writes may be lost with it.
    return std::max(record.refused_through, record.newest_start);
}

Result<std::string> BootIdCache::get() {
    const std::lock_guard<std::mutex> held(m_guard);
    if (m_id) {
        return *m_id;
    }
    auto id = m_reader();
    if (id) {
        m_id = *id;
    }
    return id;
}

Result<std::string> current_boot_id() {
    static BootIdCache cache(read_boot_id);
    return cache.get();
}

Result<FenceAdmission> admit_unflushed_step(const std::filesystem::path& state_dir,
                                            std::string_view boot_id, std::int64_t step_start,
                                            std::int64_t refuse_on_damage_through,
                                            std::chrono::milliseconds lock_timeout) {
    auto dir = open_state_directory(state_dir);
    if (!dir) {
        return dir.error();
    }
    return admit_unflushed_step_in(dir->get(), state_dir, boot_id, step_start,
                                   refuse_on_damage_through, lock_timeout);
}

Result<FenceAdmission> admit_unflushed_step_in(int state_dir_fd,
                                               const std::filesystem::path& state_dir,
                                               std::string_view boot_id, std::int64_t step_start,
                                               std::int64_t refuse_on_damage_through,
                                               std::chrono::milliseconds lock_timeout) {
    const std::filesystem::path path = state_dir / replay_fence_file_name;
    UniqueFd fd(::openat(state_dir_fd, replay_fence_file_name,
                         O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600));
    if (!fd.valid()) {
        const int open_errno = errno;
        struct stat info {};
        if (fstatat(state_dir_fd, replay_fence_file_name, &info, AT_SYMLINK_NOFOLLOW) != 0 &&
            errno == ENOENT) {
            // No fence yet (a full or read-only disk): nothing relies on
            // one, and the user's file is flushed instead.
            return FenceAdmission{
                FenceVerdict::uncovered, no_fence_time,
                "replay fence " + path.string() + ": cannot create: " + errno_text(open_errno)};
        }
        return fence_error(
            open_errno == ELOOP ? ErrorKind::unsafe : ErrorKind::unavailable, path,
            open_errno == ELOOP ? "is a symbolic link" : "cannot open: " + errno_text(open_errno));
    }
    // Shared while only reading: a writer holds the lock exclusively until
    // its record is on disk, so what is read here is durable.
    if (auto locked = lock_file(fd.get(), LockMode::shared, lock_timeout, path); !locked) {
        return locked.error();
    }
    auto read = read_fence(fd.get(), path);
    if (!read) {
        return read.error();
    }
    if (!read->damaged) {
        if (auto settled = settled_without_writing(read->record, boot_id, step_start)) {
            return *settled;
        }
    }
    // flock converts the lock (not atomically), so read again once exclusive.
    if (auto locked = lock_file(fd.get(), LockMode::exclusive, lock_timeout, path); !locked) {
        return locked.error();
    }
    read = read_fence(fd.get(), path);
    if (!read) {
        return read.error();
    }
    if (read->damaged) {
        ReplayFenceRecord fresh;
        fresh.boot_id = std::string(boot_id);
        fresh.refused_through = refuse_on_damage_through;
        FenceAdmission damaged{FenceVerdict::refused_damaged, refuse_on_damage_through, {}};
        if (auto written = write_fence(fd.get(), path, *read, fresh); !written) {
            damaged.problem = written.error().message;
        }
        return damaged;
    }
    if (auto settled = settled_without_writing(read->record, boot_id, step_start)) {
        return *settled;
    }
    if (auto written =
            write_fence(fd.get(), path, *read, advanced(read->record, boot_id, step_start));
        !written) {
        if (written.error().kind == ErrorKind::unsafe) {
            return written.error();  // the caller refuses the code
        }
        return FenceAdmission{FenceVerdict::uncovered, no_fence_time, written.error().message};
    }
    // A fence's first record: its directory entry must be on disk too, or a
    // crash could leave no fence at all (read as "nothing to refuse").
    if (read->sequence == 0 && fsync(state_dir_fd) != 0) {
        const std::string failure = "cannot sync its directory: " + errno_text(errno);
        // New again: trusted by no one.
        if (const std::string problem = withdraw_record(fd.get(), true, 0, replay_fence_file_size);
            !problem.empty()) {
            return fence_error(ErrorKind::unsafe, path, failure + "; " + problem);
        }
        return FenceAdmission{FenceVerdict::uncovered, no_fence_time,
                              "replay fence " + path.string() + ": " + failure};
    }
    return FenceAdmission{};
}

}  // namespace otpgate::core
