// What every piece that writes to a descriptor needs from the C library
// once, and the same way: a write that finishes, and errno in words.
#pragma once

#include <string>
#include <string_view>

namespace otpgate::core {

// Writes all of `content` to `fd`, going on after a signal (EINTR) or a
// short write. false, with errno set, on any other failure; whatever was
// written before it stays written.
[[nodiscard]] bool write_all(int fd, std::string_view content);

// "Permission denied", from errno, for messages.
std::string errno_text(int error_number);

}  // namespace otpgate::core
