#include "fs_faults.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdlib>

namespace otpgate::test {
namespace {

struct Plan {
    unsigned pass = 0;
    unsigned fail = 0;
    int error = 0;
};

// One test thread plans and calls; no lock needed.
std::array<Plan, 4> plans{};

// True when this call is to fail (errno set).
bool planned_failure(FsCall call) {
    Plan& plan = plans[static_cast<std::size_t>(call)];
    if (plan.pass > 0) {
        --plan.pass;
        return false;
    }
    if (plan.fail == 0) {
        return false;
    }
    --plan.fail;
    errno = plan.error;
    return true;
}

template <typename Function>
Function* next_definition(const char* name) {
    void* found = dlsym(RTLD_NEXT, name);
    if (found == nullptr) {
        std::abort();  // no C library underneath: nothing sensible to do
    }
    return reinterpret_cast<Function*>(found);
}

}  // namespace

void plan_fs_fault(FsCall call, int error, unsigned fail, unsigned pass) {
    plans[static_cast<std::size_t>(call)] = Plan{pass, fail, error};
}

void clear_fs_faults() {
    plans = {};
}

}  // namespace otpgate::test

using otpgate::test::FsCall;
using otpgate::test::next_definition;
using otpgate::test::planned_failure;

extern "C" {

ssize_t pwrite(int fd, const void* buffer, size_t size, off_t offset) {
    static auto* const next = next_definition<ssize_t(int, const void*, size_t, off_t)>("pwrite");
    return planned_failure(FsCall::pwrite) ? -1 : next(fd, buffer, size, offset);
}

int ftruncate(int fd, off_t length) noexcept {
    static auto* const next = next_definition<int(int, off_t)>("ftruncate");
    return planned_failure(FsCall::ftruncate) ? -1 : next(fd, length);
}

int fdatasync(int fd) {
    static auto* const next = next_definition<int(int)>("fdatasync");
    return planned_failure(FsCall::fdatasync) ? -1 : next(fd);
}

int fsync(int fd) {
    static auto* const next = next_definition<int(int)>("fsync");
    return planned_failure(FsCall::fsync) ? -1 : next(fd);
}

}  // extern "C"
