// The replay fence: one host-wide record that lets a spent TOTP step be
// written to the user's state file without a disk flush of its own.
//
// A spent step must stay spent for as long as its code can be typed, crash
// or not. Flushing the user's state file at every login costs one disk
// flush per login (a few hundred µs on a good disk, far more on a busy
// one). Instead, before a login accepts a step without that flush, the
// fence in state_dir/.replay-fence durably records the newest step accepted
// so in this boot (by when the step began, so TOTP periods may differ). It
// is flushed only when a login brings a step newer than the one recorded:
// at most once per step on a busy host. Every other login of the same boot
// reads the user's file from the page cache and sees the step spent.
//
// After a restart (another boot id) the user files may have lost writes
// that had not reached the disk, so every code whose step began no later
// than the newest step of an earlier boot is refused: a user logging in
// just after a restart may have to wait for the next code.
//
// Two slots written in turn, each with a sequence number and a SHA-256,
// like state files: a torn write leaves the other. Writers hold an
// exclusive flock from read to flush and readers a shared one, so no login
// trusts a record that is not on disk yet. Layout: docs/state-records.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/system/file_lock.hpp"

namespace otpgate::core {

inline constexpr const char* replay_fence_file_name = ".replay-fence";
inline constexpr std::int64_t no_fence_time = std::numeric_limits<std::int64_t>::min();

struct ReplayFenceRecord {
    std::string boot_id;  // the boot that accepted `newest_start`
    // When the newest step accepted without a flush in that boot began
    // (Unix seconds); no_fence_time for none.
    std::int64_t newest_start = no_fence_time;
    // Codes whose step began no later than this may have been spent in an
    // earlier boot and lost with its unflushed writes; no_fence_time for none.
    std::int64_t refused_through = no_fence_time;
    bool operator==(const ReplayFenceRecord&) const = default;
};

inline constexpr std::size_t replay_fence_slot_size = 128;
inline constexpr std::size_t replay_fence_file_size = 2 * replay_fence_slot_size;

// Slot encoding, exposed for tests and the fuzzer. Boot ids longer than 48
// bytes are refused by encode (the kernel's are 36).
bool encode_replay_fence_slot(const ReplayFenceRecord& record, std::uint64_t sequence,
                              std::uint8_t* slot);
std::optional<std::pair<ReplayFenceRecord, std::uint64_t>> decode_replay_fence_slot(
    const std::uint8_t* slot);

// The newest valid record of a whole fence file, its sequence number and
// slot; nullopt when the size is wrong or neither slot is valid.
struct DecodedReplayFence {
    ReplayFenceRecord record;
    std::uint64_t sequence = 0;
    std::size_t slot = 0;
};
std::optional<DecodedReplayFence> decode_replay_fence_file(std::string_view bytes);

// Codes whose step began no later than this are refused in boot `boot_id`.
std::int64_t fence_refuses_through(const ReplayFenceRecord& record, std::string_view boot_id);

// This boot's id (/proc/sys/kernel/random/boot_id), read once per process
// (once it could be read: BootIdCache).
Result<std::string> current_boot_id();

// What current_boot_id keeps: the first id read, and only a successful
// read. A process does not outlive the boot it started in, but a failed
// read (no free descriptor for a moment) must not refuse every TOTP code
// for the rest of a long-lived process (a screen locker): it is tried
// again at the next call. Safe to share between threads.
class BootIdCache {
public:
    using Reader = std::function<Result<std::string>()>;
    explicit BootIdCache(Reader reader) : m_reader(std::move(reader)) {}
    Result<std::string> get();

private:
    Reader m_reader;
    std::mutex m_guard;
    std::optional<std::string> m_id;
};

enum class FenceVerdict {
    covered,          // the user's file may be written without a flush
    uncovered,        // the fence could not be advanced: flush the user's file
    refused,          // an earlier boot may have spent the step
    refused_damaged,  // both records were damaged: every code of the window is refused
};

struct FenceAdmission {
    FenceVerdict verdict = FenceVerdict::covered;
    std::int64_t refused_through = no_fence_time;  // when refused, for the log
    std::string problem;                           // when uncovered or damaged, for the log
};

// For a step the user's state (locked by the caller) says is unspent, and
// that began at `step_start`: refused when an earlier boot may have spent
// it; otherwise covered, after advancing and flushing the fence when it did
// not cover the step yet, or uncovered when that write failed (a full
// disk). When both records are damaged, what the fence held is lost: codes
// whose step began no later than `refuse_on_damage_through` (the caller's
// whole window) are refused and a new record is written. An error (the
// fence cannot be opened, locked within `lock_timeout` or read, or is not a
// private root-owned file) tells nothing about earlier boots: the caller
// refuses the code. So does a failed write whose record could not be
// withdrawn either (kind unsafe): a record that may never reach the disk
// stays readable, and no login may rely on it.
Result<FenceAdmission> admit_unflushed_step(
    const std::filesystem::path& state_dir, std::string_view boot_id, std::int64_t step_start,
    std::int64_t refuse_on_damage_through,
    std::chrono::milliseconds lock_timeout = default_lock_timeout);

// The same, in the state directory `state_dir_fd` that the caller opened and
// checked with open_state_directory (a user's transaction keeps it open):
// `state_dir` names it in messages only.
Result<FenceAdmission> admit_unflushed_step_in(
    int state_dir_fd, const std::filesystem::path& state_dir, std::string_view boot_id,
    std::int64_t step_start, std::int64_t refuse_on_damage_through,
    std::chrono::milliseconds lock_timeout = default_lock_timeout);

}  // namespace otpgate::core
