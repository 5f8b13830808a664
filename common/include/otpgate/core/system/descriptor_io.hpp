// What every piece that writes to or waits on a descriptor needs from the
// C library once, and the same way: a write that finishes, a wait with a
// deadline, and errno in words.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace otpgate::core {

// Writes all of `content` to `fd`, going on after a signal (EINTR) or a
// short write. false, with errno set, on any other failure; whatever was
// written before it stays written.
[[nodiscard]] bool write_all(int fd, std::string_view content);

enum class DescriptorWait { ready, timed_out, failed };

// Waits until `fd` has one of `events` (POLLIN, POLLOUT) or `deadline`
// passes; a signal (EINTR) only shortens one round. `ready` also for an
// error or a hang-up, which the next read or write reports; `failed` for a
// negative `fd` or a poll() that fails.
DescriptorWait wait_for_descriptor(int fd, short events,
                                   std::chrono::steady_clock::time_point deadline);

// "Permission denied", from errno, for messages.
std::string errno_text(int error_number);

}  // namespace otpgate::core
