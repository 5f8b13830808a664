// The first thing the set-uid helper does: make its process its own. Whoever
// runs it chose its environment, open descriptors, umask, signal
// dispositions and limits; none of that may steer a program running as
// root.
#pragma once

namespace otpgate::verify {

// Clears the environment (PATH becomes a fixed safe one), makes sure
// descriptors 0-2 are open (on /dev/null if not: a later open must never
// land on "stderr") and closes every other one, sets umask 077, the working
// directory /, default signal dispositions (SIGPIPE and the job-control
// stops SIGTSTP, SIGTTIN, SIGTTOU ignored) with none blocked, ordinary
// scheduling (SCHED_OTHER, nice 0, every CPU, default timer slack and I/O
// priority), no core dumps and no file-size limit, and CPU, memory and
// descriptor limits raised as far as root may. Returns false when any of it fails; the caller must
// then exit without doing anything else.
//
// What it cannot undo, the lock deadline bounds (file_lock.hpp): a caller
// who froze their own cgroup holds the helper still wherever it is.
bool take_over_process();

}  // namespace otpgate::verify
