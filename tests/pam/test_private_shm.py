#!/usr/bin/env python3
"""tests/support/private_shm keeps libfaketime's leftovers of other tests
away from a test's processes.

libfaketime names a semaphore and a shared memory object in /dev/shm after
each process id and leaves them behind when a process is killed or leaves by
_exit. A later process with the same id that finds the shared memory object
without its semaphore dies before main ("shm_open failed: File exists"): one
such login failed a whole CI run. This test leaves exactly that behind in the
host's /dev/shm for the next process ids, shows that it kills libfaketime's
processes there, and then that the same processes run through private_shm.

Usage: test_private_shm.py PRIVATE_SHM LIBFAKETIME. Needs root (exit 77
without)."""

import json
import os
import subprocess
import sys
import time
import unittest

PRIVATE_SHM = LIBFAKETIME = None
SHM = "/dev/shm"
WINDOW = 400  # process ids made unusable for libfaketime, from the next one on
RUNS = 20


class PrivateShm(unittest.TestCase):
    def setUp(self):
        self.planted = []
        self.addCleanup(self.remove_planted)

    def remove_planted(self):
        for pid in self.planted:
            for name in ("faketime_shm_%d" % pid, "sem.faketime_sem_%d" % pid):
                try:
                    os.unlink(os.path.join(SHM, name))
                except FileNotFoundError:
                    pass

    def plant_leftovers(self):
        """A shared memory object without its semaphore for each of the
        next process ids that have neither (the state a killed process can
        leave), and the range of ids it covers."""
        with open("/proc/sys/kernel/ns_last_pid", encoding="ascii") as f:
            last = int(f.read())
        first = last + 1
        for pid in range(first, min(first + WINDOW, 32768)):
            shm = os.path.join(SHM, "faketime_shm_%d" % pid)
            sem = os.path.join(SHM, "sem.faketime_sem_%d" % pid)
            if os.path.exists(shm) or os.path.exists(sem):
                continue
            with open(shm, "x"):
                pass
            self.planted.append(pid)
        return range(first, first + WINDOW)

    def run_faketime_processes(self, prefix):
        """RUNS processes under libfaketime, started by this script in
        --spawn mode behind `prefix`: the [pid, exit status, output] of each."""
        done = subprocess.run(prefix + [sys.executable, __file__, "--spawn", LIBFAKETIME],
                              capture_output=True, text=True, timeout=60, check=True)
        return [tuple(run) for run in json.loads(done.stdout)]

    def test_leftovers_kill_libfaketime_processes_outside_but_not_inside(self):
        window = self.plant_leftovers()
        outside = self.run_faketime_processes([])
        self.assertEqual(len(outside), RUNS)
        inside_window = [run for run in outside if run[0] in window and run[0] in self.planted]
        self.assertTrue(inside_window, "no process took a planted id: %s" % outside)
        for pid, status, text in inside_window:
            self.assertNotEqual(status, 0, "pid %d ran despite the leftover" % pid)
            self.assertIn("shm_open failed: File exists", text)

        self.remove_planted()
        self.planted = []
        window = self.plant_leftovers()
        inside = self.run_faketime_processes([PRIVATE_SHM])
        self.assertEqual(len(inside), RUNS)
        took_planted = [run for run in inside if run[0] in window and run[0] in self.planted]
        self.assertTrue(took_planted, "no process took a planted id: %s" % inside)
        this_year = time.gmtime().tm_year
        for pid, status, text in inside:
            self.assertEqual(status, 0, "pid %d: %s" % (pid, text))
            # A day back is this year or the last.
            self.assertIn(text.strip(), (str(this_year), str(this_year - 1)))

    def test_the_command_runs_with_its_arguments_and_exit_status(self):
        done = subprocess.run([PRIVATE_SHM, "/bin/sh", "-c", 'ls -A /dev/shm; exit "$1"', "sh", "7"],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 7)
        self.assertEqual(done.stdout, "", "a private /dev/shm starts empty")


def spawn(libfaketime):
    """--spawn mode: RUNS `date` processes under libfaketime, a day back."""
    runs = []
    for _ in range(RUNS):
        process = subprocess.Popen(["date", "+%Y"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, env={"LD_PRELOAD": libfaketime, "FAKETIME": "-1d",
                                                   "PATH": "/usr/bin:/bin", "TZ": "UTC"})
        output = process.communicate(timeout=30)[0]
        runs.append([process.pid, process.returncode, output])
    print(json.dumps(runs))


def main():
    global PRIVATE_SHM, LIBFAKETIME
    if len(sys.argv) == 3 and sys.argv[1] == "--spawn":
        spawn(sys.argv[2])
        return
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    PRIVATE_SHM, LIBFAKETIME = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    if os.geteuid() != 0:
        print("skipped: needs root to mount a private /dev/shm")
        sys.exit(77)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
