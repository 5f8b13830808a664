// Failures of allocation and file-system calls, injected at points the
// fuzz input chooses, for the login target (fuzz_login.cpp) only.
//
// The target is linked with `-Wl,--wrap=SYMBOL` for each call listed in
// fault_injection.cpp: every call our own objects make (the module, the
// core, the harness) goes through a wrapper, which passes it on unless a
// plan is armed and says this call fails. Calls made inside shared
// libraries (libstdc++'s out-of-line string members, OpenSSL, glibc's
// passwd lookup) are not seen: a failure there is not injected.
//
// Only calls made while a plan is armed count, and not those of harness
// code running meanwhile (the conversation, pam_syslog: see FaultsPaused),
// so libFuzzer and the sanitizers never see an injected failure.
#pragma once

#include <cstdint>
#include <vector>

namespace otpgate::fuzz {

// What fails, by kind of call; each kind counts its own calls.
enum class Operation : std::uint8_t {
    allocate,  // operator new (std::bad_alloc, or nullptr for nothrow)
    open,      // open, openat, mkdir
    read,      // read, pread
    write,     // write, pwrite, ftruncate
    sync,      // fsync, fdatasync
    lock,      // flock
    name,      // rename, renameat, linkat, unlinkat: directory entries
    stat,      // fstat, fstatat
    close,     // close (the descriptor is closed, and an error reported)
};
inline constexpr unsigned operation_count = 9;

const char* operation_name(Operation operation);

struct Fault {
    Operation operation = Operation::open;
    unsigned nth = 1;         // the nth call of that kind while armed, from 1
    int error = 0;            // errno the failed call sets
    bool persistent = false;  // every later call of the kind fails too (a full disk)
    // write only: half the bytes are written and their count returned,
    // instead of an error (a torn record).
    bool short_write = false;
};

struct FaultPlan {
    std::vector<Fault> faults;
};

void arm_faults(const FaultPlan& plan);
void disarm_faults();
// How many calls failed since the plan was armed.
unsigned faults_fired();

// Harness code called by the module while a plan is armed: its calls are
// passed on and not counted.
class FaultsPaused {
public:
    FaultsPaused();
    ~FaultsPaused();
    FaultsPaused(const FaultsPaused&) = delete;
    FaultsPaused& operator=(const FaultsPaused&) = delete;

private:
    bool m_was_paused;
};

// True while a plan is armed and not paused: the code under test runs.
bool faults_armed();

}  // namespace otpgate::fuzz
