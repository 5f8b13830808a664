// The wrappers named by fuzz/CMakeLists.txt (OTPGATE_FUZZ_LOGIN_WRAPPED):
// each asks the armed plan whether this call fails, else calls the real one.
#include "fault_injection.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <new>

namespace otpgate::fuzz {
namespace {

FaultPlan g_plan;
std::array<unsigned, operation_count> g_calls{};
unsigned g_fired = 0;
bool g_armed = false;
bool g_paused = false;

// The fault that fails this call, or nullptr; counts the call.
const Fault* fault_for(Operation operation) {
    if (!faults_armed()) {
        return nullptr;
    }
    const unsigned call = ++g_calls[static_cast<std::size_t>(operation)];
    for (const Fault& fault : g_plan.faults) {
        // A non-blocking call is not interrupted again and again: EINTR
        // comes once, or a retry loop would never end where no real
        // system would keep it.
        const bool persistent = fault.persistent && fault.error != EINTR;
        if (fault.operation == operation &&
            (call == fault.nth || (persistent && call > fault.nth))) {
            ++g_fired;
            errno = fault.error;
            return &fault;
        }
    }
    return nullptr;
}

bool fails(Operation operation) {
    return fault_for(operation) != nullptr;
}

// The mode argument of open and openat, present only when they may create.
mode_t mode_argument(int flags, va_list arguments) {
    const bool creates = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
    return creates ? static_cast<mode_t>(va_arg(arguments, unsigned)) : 0;
}

}  // namespace

const char* operation_name(Operation operation) {
    switch (operation) {
        case Operation::allocate: return "allocate";
        case Operation::open: return "open";
        case Operation::read: return "read";
        case Operation::write: return "write";
        case Operation::sync: return "sync";
        case Operation::lock: return "lock";
        case Operation::name: return "name";
        case Operation::stat: return "stat";
        case Operation::close: return "close";
    }
    return "?";
}

void arm_faults(const FaultPlan& plan) {
    g_plan = plan;
    g_calls.fill(0);
    g_fired = 0;
    g_paused = false;
    g_armed = true;
}

void disarm_faults() {
    g_armed = false;
}

unsigned faults_fired() {
    return g_fired;
}

bool faults_armed() {
    return g_armed && !g_paused;
}

FaultsPaused::FaultsPaused() : m_was_paused(g_paused) {
    g_paused = true;
}

FaultsPaused::~FaultsPaused() {
    g_paused = m_was_paused;
}

}  // namespace otpgate::fuzz

using otpgate::fuzz::fails;
using otpgate::fuzz::fault_for;
using otpgate::fuzz::Operation;

extern "C" {

// The real functions, as the linker's --wrap names them.
void* __real__Znwm(std::size_t size);
void* __real__Znam(std::size_t size);
void* __real__ZnwmRKSt9nothrow_t(std::size_t size, const std::nothrow_t& tag) noexcept;
void* __real__ZnamRKSt9nothrow_t(std::size_t size, const std::nothrow_t& tag) noexcept;
int __real_open(const char* path, int flags, ...);
int __real_openat(int dir_fd, const char* path, int flags, ...);
int __real_mkdir(const char* path, mode_t mode);
ssize_t __real_read(int fd, void* buffer, std::size_t size);
ssize_t __real_pread(int fd, void* buffer, std::size_t size, off_t offset);
ssize_t __real_write(int fd, const void* buffer, std::size_t size);
ssize_t __real_pwrite(int fd, const void* buffer, std::size_t size, off_t offset);
int __real_ftruncate(int fd, off_t length);
int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_flock(int fd, int operation);
int __real_rename(const char* from, const char* to);
int __real_renameat(int from_dir, const char* from, int to_dir, const char* to);
int __real_linkat(int from_dir, const char* from, int to_dir, const char* to, int flags);
int __real_unlinkat(int dir_fd, const char* path, int flags);
int __real_fstat(int fd, struct stat* info);
int __real_fstatat(int dir_fd, const char* path, struct stat* info, int flags);
int __real_close(int fd);

void* __wrap__Znwm(std::size_t size) {
    if (fails(Operation::allocate)) {
        throw std::bad_alloc();
    }
    return __real__Znwm(size);
}

void* __wrap__Znam(std::size_t size) {
    if (fails(Operation::allocate)) {
        throw std::bad_alloc();
    }
    return __real__Znam(size);
}

void* __wrap__ZnwmRKSt9nothrow_t(std::size_t size, const std::nothrow_t& tag) noexcept {
    return fails(Operation::allocate) ? nullptr : __real__ZnwmRKSt9nothrow_t(size, tag);
}

void* __wrap__ZnamRKSt9nothrow_t(std::size_t size, const std::nothrow_t& tag) noexcept {
    return fails(Operation::allocate) ? nullptr : __real__ZnamRKSt9nothrow_t(size, tag);
}

int __wrap_open(const char* path, int flags, ...) {
    va_list arguments;
    va_start(arguments, flags);
    const mode_t mode = otpgate::fuzz::mode_argument(flags, arguments);
    va_end(arguments);
    return fails(Operation::open) ? -1 : __real_open(path, flags, mode);
}

int __wrap_openat(int dir_fd, const char* path, int flags, ...) {
    va_list arguments;
    va_start(arguments, flags);
    const mode_t mode = otpgate::fuzz::mode_argument(flags, arguments);
    va_end(arguments);
    return fails(Operation::open) ? -1 : __real_openat(dir_fd, path, flags, mode);
}

int __wrap_mkdir(const char* path, mode_t mode) {
    return fails(Operation::open) ? -1 : __real_mkdir(path, mode);
}

ssize_t __wrap_read(int fd, void* buffer, std::size_t size) {
    return fails(Operation::read) ? -1 : __real_read(fd, buffer, size);
}

ssize_t __wrap_pread(int fd, void* buffer, std::size_t size, off_t offset) {
    return fails(Operation::read) ? -1 : __real_pread(fd, buffer, size, offset);
}

ssize_t __wrap_write(int fd, const void* buffer, std::size_t size) {
    if (const auto* fault = fault_for(Operation::write)) {
        return fault->short_write && size > 1 ? __real_write(fd, buffer, size / 2) : -1;
    }
    return __real_write(fd, buffer, size);
}

ssize_t __wrap_pwrite(int fd, const void* buffer, std::size_t size, off_t offset) {
    if (const auto* fault = fault_for(Operation::write)) {
        return fault->short_write && size > 1 ? __real_pwrite(fd, buffer, size / 2, offset) : -1;
    }
    return __real_pwrite(fd, buffer, size, offset);
}

int __wrap_ftruncate(int fd, off_t length) {
    return fails(Operation::write) ? -1 : __real_ftruncate(fd, length);
}

int __wrap_fsync(int fd) {
    return fails(Operation::sync) ? -1 : __real_fsync(fd);
}

int __wrap_fdatasync(int fd) {
    return fails(Operation::sync) ? -1 : __real_fdatasync(fd);
}

int __wrap_flock(int fd, int operation) {
    return fails(Operation::lock) ? -1 : __real_flock(fd, operation);
}

int __wrap_rename(const char* from, const char* to) {
    return fails(Operation::name) ? -1 : __real_rename(from, to);
}

int __wrap_renameat(int from_dir, const char* from, int to_dir, const char* to) {
    return fails(Operation::name) ? -1 : __real_renameat(from_dir, from, to_dir, to);
}

int __wrap_linkat(int from_dir, const char* from, int to_dir, const char* to, int flags) {
    return fails(Operation::name) ? -1 : __real_linkat(from_dir, from, to_dir, to, flags);
}

int __wrap_unlinkat(int dir_fd, const char* path, int flags) {
    return fails(Operation::name) ? -1 : __real_unlinkat(dir_fd, path, flags);
}

int __wrap_fstat(int fd, struct stat* info) {
    return fails(Operation::stat) ? -1 : __real_fstat(fd, info);
}

int __wrap_fstatat(int dir_fd, const char* path, struct stat* info, int flags) {
    return fails(Operation::stat) ? -1 : __real_fstatat(dir_fd, path, info, flags);
}

// Linux releases the descriptor even when close reports an error.
int __wrap_close(int fd) {
    if (const auto* fault = fault_for(Operation::close)) {
        const int error = fault->error;
        __real_close(fd);
        errno = error;
        return -1;
    }
    return __real_close(fd);
}

}  // extern "C"
