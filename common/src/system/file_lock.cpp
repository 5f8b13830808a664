#include "otpgate/core/system/file_lock.hpp"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "otpgate/core/system/descriptor_io.hpp"

namespace otpgate::core {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A released lock is noticed within this much; a waiter wakes at most
// 100 times a second once the wait is long.
constexpr microseconds first_pause{100};
constexpr microseconds longest_pause{10'000};
// /proc/locks lists every lock on the host; enough for any sane host.
constexpr std::size_t max_lines_read = 100'000;

std::string process_name(const std::string& pid) {
    std::ifstream comm("/proc/" + pid + "/comm");
    std::string name;
    if (!comm || !std::getline(comm, name)) {
        return {};
    }
    return name;
}

}  // namespace

std::string flock_holders(int fd) {
    struct stat info {};
    if (fstat(fd, &info) != 0) {
        return {};
    }
    // The kernel names the file as "MAJOR:MINOR:INODE", the first two in hex.
    char file_id[64];
    std::snprintf(file_id, sizeof file_id, "%02x:%02x:%llu", major(info.st_dev), minor(info.st_dev),
                  static_cast<unsigned long long>(info.st_ino));
    std::ifstream locks("/proc/locks");
    std::string line;
    std::string holders;
    for (std::size_t read = 0; read < max_lines_read && std::getline(locks, line); ++read) {
        // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters have
        // "->" after the number and hold nothing.
        std::istringstream fields(line);
        std::string number, kind, advisory, access, pid, id;
        if (!(fields >> number >> kind >> advisory >> access >> pid >> id) || kind != "FLOCK" ||
            id != file_id) {
            continue;
        }
        if (!holders.empty()) {
            holders += ", ";
        }
        holders += "process " + pid;
        if (const std::string name = process_name(pid); !name.empty()) {
            holders += " (" + name + ")";
        }
    }
    return holders;
}

Result<void> lock_file(int fd, LockMode mode, milliseconds timeout,
                       const std::filesystem::path& what) {
    const int operation = (mode == LockMode::shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
    const auto deadline = steady_clock::now() + timeout;
    microseconds pause = first_pause;
    while (true) {
        if (flock(fd, operation) == 0) {
            return {};
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EWOULDBLOCK) {
            return make_error(ErrorKind::io,
                              "cannot lock " + what.string() + ": " + errno_text(errno));
        }
        const auto now = steady_clock::now();
        if (now >= deadline) {
            break;
        }
        std::this_thread::sleep_for(std::min<steady_clock::duration>(pause, deadline - now));
        pause = std::min(pause * 2, longest_pause);
    }
    const std::string holders = flock_holders(fd);
    return make_error(ErrorKind::unavailable,
                      "timed out after " + std::to_string(timeout.count()) +
                          " ms waiting for the lock on " + what.string() +
                          (holders.empty() ? std::string() : ", held by " + holders) +
                          " (lock_timeout_ms)");
}

}  // namespace otpgate::core
