// Every flock otpgate waits for, with a deadline.
//
// A lock holder can be stopped or starved by someone else: a user presses
// the suspend key while `su` or `sudo` (set-uid, but the user's own process)
// holds the replay fence, or freezes their cgroup. An unbounded wait would
// then hang every other login that needs the same lock. So no wait here is
// unbounded: past `timeout` the caller gets an `unavailable` error that
// names the lock and, where /proc/locks tells, the process holding it, and
// fails closed.
//
// The wait polls with LOCK_NB and short, growing sleeps rather than
// interrupting a blocking flock with a timer signal: the module runs inside
// other programs (sshd, su, sudo) whose signals are not ours to take.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "otpgate/core/primitives/result.hpp"

namespace otpgate::core {

// `lock_timeout_ms` in otpgate.conf; long enough for a busy disk's flush,
// short enough that a login never waits much longer than its prompt.
inline constexpr std::chrono::milliseconds default_lock_timeout{3000};

enum class LockMode { shared, exclusive };

// Takes an flock of `mode` on `fd` (or converts the one held), waiting at
// most `timeout`. `what` names the locked file in the messages. unavailable
// on timeout ("timed out after 3000 ms waiting for the lock on PATH, held by
// process 123 (su)"), io when flock itself fails.
Result<void> lock_file(int fd, LockMode mode, std::chrono::milliseconds timeout,
                       const std::filesystem::path& what);

// The processes /proc/locks says hold an flock on the file open as `fd`:
// "process 123 (su)", several joined by ", "; empty when none is known.
// The names are the processes' own, which their owners may set: like every
// message, they are made safe by the logger or printer (safe_text.hpp).
std::string flock_holders(int fd);

}  // namespace otpgate::core
