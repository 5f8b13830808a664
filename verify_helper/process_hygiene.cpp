#include "process_hygiene.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

bool signals_reset() {
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
        if (signal_number == SIGKILL || signal_number == SIGSTOP) {
            continue;
        }
        // Real-time signals glibc keeps for itself refuse; that is fine.
        std::signal(signal_number, signal_number == SIGPIPE ? SIG_IGN : SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    return sigprocmask(SIG_SETMASK, &none, nullptr) == 0;
}

bool limits_set() {
    const rlimit no_core{0, 0};
    const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    return setrlimit(RLIMIT_CORE, &no_core) == 0 && setrlimit(RLIMIT_FSIZE, &unlimited) == 0;
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
    return signals_reset() && limits_set();
}

}  // namespace otpgate::verify
