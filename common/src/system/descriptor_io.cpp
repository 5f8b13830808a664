#include "otpgate/core/system/descriptor_io.hpp"

#include <cerrno>
#include <cstring>

#include <poll.h>
#include <unistd.h>

namespace otpgate::core {

DescriptorWait wait_for_descriptor(int fd, short events,
                                   std::chrono::steady_clock::time_point deadline) {
    if (fd < 0) {
        return DescriptorWait::failed;
    }
    while (true) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return DescriptorWait::timed_out;
        }
        pollfd watched{fd, events, 0};
        const int ready = ::poll(&watched, 1, static_cast<int>(left.count()));
        if (ready > 0) {
            return DescriptorWait::ready;
        }
        if (ready < 0 && errno != EINTR) {
            return DescriptorWait::failed;
        }
    }
}

bool write_all(int fd, std::string_view content) {
    while (!content.empty()) {
        const ssize_t written = ::write(fd, content.data(), content.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        if (written == 0) {
            errno = EIO;  // no progress (no file or pipe does this): no endless loop
            return false;
        }
        content.remove_prefix(static_cast<std::size_t>(written));
    }
    return true;
}

std::string errno_text(int error_number) {
    char buffer[256];
    // GNU strerror_r returns the message, not necessarily in buffer.
    return strerror_r(error_number, buffer, sizeof buffer);
}

}  // namespace otpgate::core
