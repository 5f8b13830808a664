#include "process_hygiene.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace otpgate::verify {
namespace {

constexpr const char* safe_path = "/usr/sbin:/usr/bin:/sbin:/bin";

bool standard_descriptors_open() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
            continue;
        }
        // open returns the lowest free number, which is this one.
        const int opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (opened != fd) {
            return false;
        }
    }
    return true;
}

// Ignored for the helper's whole life. The job-control stops are the ones
// the caller can send without any permission: the terminal's suspend key
// (SIGTSTP), and reading or writing the terminal from a background process
// group (SIGTTIN, SIGTTOU), which the caller's shell decides. A stopped
// helper would keep whatever lock it holds (the replay fence, the host SMS
// log) and its alarm() would never fire. Once the helper is root in every
// uid, the caller cannot send it SIGSTOP; SIGCONT they may, and it is
// harmless. Ignored, a background read of the terminal fails with EIO.
bool ignored_signal(int signal_number) {
    return signal_number == SIGPIPE || signal_number == SIGTSTP || signal_number == SIGTTIN ||
           signal_number == SIGTTOU;
}

bool signals_reset() {
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
        if (signal_number == SIGKILL || signal_number == SIGSTOP) {
            continue;
        }
        // Real-time signals glibc keeps for itself refuse; that is fine.
        std::signal(signal_number, ignored_signal(signal_number) ? SIG_IGN : SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    return sigprocmask(SIG_SETMASK, &none, nullptr) == 0;
}

// The caller chose the scheduling the helper inherits: SCHED_IDLE or nice
// 19 beside a busy loop, one CPU, a huge timer slack, idle I/O priority.
// Any of them would slow the helper while it holds a lock that other
// logins wait for, so it runs as an ordinary process of root's would.
bool scheduling_reset() {
    const sched_param ordinary{};
    if (sched_setscheduler(0, SCHED_OTHER, &ordinary) != 0 ||
        setpriority(PRIO_PROCESS, 0, 0) != 0) {
        return false;
    }
    cpu_set_t every_cpu;
    CPU_ZERO(&every_cpu);
    for (std::size_t cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        CPU_SET(cpu, &every_cpu);
    }
    // The kernel keeps the CPUs the cpuset allows; never fails for a full set.
    if (sched_setaffinity(0, sizeof every_cpu, &every_cpu) != 0) {
        return false;
    }
    // 0: the default slack; IOPRIO_CLASS_NONE: I/O priority follows nice.
    constexpr int ioprio_who_process = 1;
    return prctl(PR_SET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL) == 0 &&
           syscall(SYS_ioprio_set, ioprio_who_process, 0, 0) == 0;
}

// Raises a limit the caller lowered to `wanted`. Without CAP_SYS_RESOURCE
// (some containers) the hard limit cannot rise, and the soft one rises to
// it: a helper killed by its CPU limit or short of descriptors fails
// closed and, dead, holds no lock.
bool raise_limit(int resource, rlim_t wanted) {
    rlimit current{};
    if (getrlimit(resource, &current) != 0) {
        return false;
    }
    const rlim_t hard =
        wanted == RLIM_INFINITY ? RLIM_INFINITY : std::max(current.rlim_max, wanted);
    const rlimit raised{hard, hard};
    if (setrlimit(resource, &raised) == 0) {
        return true;
    }
    current.rlim_cur = current.rlim_max;
    return setrlimit(resource, &current) == 0;
}

// No core dumps, ever, and no file-size limit that could cut a record
// short; limits on time, memory and descriptors as high as root may set.
bool limits_set() {
    const rlimit no_core{0, 0};
    const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    return setrlimit(RLIMIT_CORE, &no_core) == 0 && setrlimit(RLIMIT_FSIZE, &unlimited) == 0 &&
           raise_limit(RLIMIT_CPU, RLIM_INFINITY) && raise_limit(RLIMIT_AS, RLIM_INFINITY) &&
           raise_limit(RLIMIT_DATA, RLIM_INFINITY) && raise_limit(RLIMIT_NOFILE, 1024);
}

}  // namespace

bool take_over_process() {
    if (!standard_descriptors_open()) {
        return false;
    }
    if (close_range(3, ~0U, 0) != 0) {
        return false;
    }
    if (clearenv() != 0 || setenv("PATH", safe_path, 1) != 0) {
        return false;
    }
    umask(077);
    if (chdir("/") != 0) {
        return false;
    }
    // The kernel already makes a set-uid process undumpable; say it anyway,
    // so no ptrace or core file can read a code or a credential.
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        return false;
    }
    // Without root (not installed set-uid) the helper refuses to run just
    // after, saying why; nothing to protect, and a nice level it could not
    // lower must not hide that message.
    return signals_reset() && (geteuid() != 0 || (scheduling_reset() && limits_set()));
}

}  // namespace otpgate::verify
