#!/usr/bin/env python3
"""tests/support/private_scratch keeps other tests' leftovers in /dev/shm
and /tmp away from a test's processes, and a test's own from the others.

/dev/shm: libfaketime names a semaphore and a shared memory object there
after each process id and leaves them behind when a process is killed or
leaves by _exit. A later process with the same id that finds the shared
memory object without its semaphore dies before main ("shm_open failed: File
exists"): one such login failed a whole CI run. This test leaves exactly that
behind in the host's /dev/shm for the next process ids, shows that it kills
libfaketime's processes there, and then that the same processes run through
private_scratch.

/tmp: pam_wrapper copies the service folder for each process into one of
62 folders /tmp/pam.X (one per letter and digit). A process killed at the
wrong moment, or two starting at once, leave a folder without a process id
in it, which pam_wrapper never takes for stale; once all 62 are taken, a
login under pam_wrapper exits 1 before it starts ("Failed to find a
possible path to create pam_wrapper config dir"). A CI run collected enough
of them to fail the fleet test's 40 racing logins. This test takes every
free folder the same way, shows a login failing outside, and logging in
behind private_scratch, which keeps the directories it is told to keep.

Usage: test_private_scratch.py PRIVATE_SCRATCH LIBFAKETIME. Needs root
(exit 77 without)."""

import json
import os
import shutil
import string
import subprocess
import sys
import tempfile
import time
import unittest

PRIVATE_SCRATCH = LIBFAKETIME = None
SHM = "/dev/shm"
PAM_WRAPPER_LIBRARY = "libpam_wrapper.so"
WINDOW = 400  # process ids made unusable for libfaketime, from the next one on
RUNS = 20


class PrivateScratch(unittest.TestCase):
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
        inside = self.run_faketime_processes([PRIVATE_SCRATCH])
        self.assertEqual(len(inside), RUNS)
        took_planted = [run for run in inside if run[0] in window and run[0] in self.planted]
        self.assertTrue(took_planted, "no process took a planted id: %s" % inside)
        this_year = time.gmtime().tm_year
        for pid, status, text in inside:
            self.assertEqual(status, 0, "pid %d: %s" % (pid, text))
            # A day back is this year or the last.
            self.assertIn(text.strip(), (str(this_year), str(this_year - 1)))

    def test_the_command_runs_with_its_arguments_and_exit_status(self):
        done = subprocess.run([PRIVATE_SCRATCH, "/bin/sh", "-c", 'ls -A /dev/shm /tmp; exit "$1"',
                               "sh", "7"], capture_output=True, text=True, timeout=30, cwd="/")
        self.assertEqual(done.returncode, 7)
        self.assertEqual(done.stdout, "/dev/shm:\n\n/tmp:\n",
                         "a private /dev/shm and /tmp start empty")

    def test_kept_directories_stay_and_the_rest_of_tmp_goes(self):
        kept = self.outer_folder()
        inner = os.path.join(kept, "deeper", "still")
        os.makedirs(inner)
        script = ('ls -A /tmp; echo written > "$1/file"; echo gone > /tmp/otpgate-scratch-gone; '
                  'pwd')
        done = subprocess.run([PRIVATE_SCRATCH, "--keep", inner, "/bin/sh", "-c", script, "sh",
                               inner], capture_output=True, text=True, timeout=30, cwd=kept)
        self.assertEqual(done.returncode, 0, done.stderr)
        # The folder's top under /tmp (once: the kept one and the working
        # directory share it), the same working directory, and what the
        # command wrote there is there after it.
        self.assertEqual(done.stdout.splitlines(), [os.path.basename(kept), kept])
        with open(os.path.join(inner, "file"), encoding="ascii") as f:
            self.assertEqual(f.read(), "written\n")
        self.assertFalse(os.path.exists("/tmp/otpgate-scratch-gone"))

    def test_a_kept_folder_on_a_file_system_of_its_own_keeps_its_files(self):
        # A clone on a volume mounted under /tmp: what is kept is the mount.
        kept = self.outer_folder()
        script = ('mount -t tmpfs otpgate-test-volume "$1" && mkdir "$1/tree" && '
                  'echo there > "$1/tree/file" && '
                  '"$2" --keep "$1/tree" cat "$1/tree/file"; status=$?; umount "$1"; exit $status')
        done = subprocess.run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                               script, "sh", kept, PRIVATE_SCRATCH],
                              capture_output=True, text=True, timeout=30, cwd="/")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "there\n")

    def test_a_kept_folder_named_through_a_link_in_tmp_is_there_by_that_name(self):
        elsewhere = self.outer_folder("/var/tmp")
        os.mkdir(os.path.join(elsewhere, "tree"))
        with open(os.path.join(elsewhere, "tree", "file"), "w", encoding="ascii") as f:
            f.write("there\n")
        link = os.path.join(self.outer_folder(), "link")
        os.symlink(elsewhere, link)
        done = subprocess.run([PRIVATE_SCRATCH, "--keep", link + "/tree", "cat",
                               link + "/tree/file"],
                              capture_output=True, text=True, timeout=30, cwd="/")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "there\n")

    def test_pam_wrapper_leftovers_stop_logins_outside_but_not_inside(self):
        service = self.outer_folder()
        with open(os.path.join(service, "login"), "w", encoding="ascii") as f:
            f.write("auth required pam_permit.so\n")
        self.plant_pam_wrapper_leftovers()
        # Preloaded after private_scratch, as the tests' prefixes do.
        login = ["env", "LD_PRELOAD=" + PAM_WRAPPER_LIBRARY, "PAM_WRAPPER=1",
                 "PAM_WRAPPER_SERVICE_DIR=" + service,
                 "pamtester", "-v", "login", "nobody", "authenticate"]
        env = {"PATH": "/usr/bin:/bin"}

        outside = subprocess.run(login, env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(outside.returncode, 1, outside.stdout + outside.stderr)
        self.assertIn("Failed to find a possible path to create pam_wrapper config dir",
                      outside.stderr)

        # (The login outside removed the leftovers whose process is gone.)
        before = self.pam_wrapper_folders()
        inside = subprocess.run([PRIVATE_SCRATCH, "--keep", service] + login, env=env,
                                capture_output=True, text=True, timeout=30, cwd="/")
        self.assertEqual(inside.returncode, 0, inside.stdout + inside.stderr)
        self.assertIn("successfully authenticated", inside.stdout)
        self.assertEqual(self.pam_wrapper_folders(), before)

    def outer_folder(self, parent="/tmp"):
        """A folder of this test in the host's /tmp (or `parent`), removed at
        the end."""
        folder = tempfile.mkdtemp(prefix="otpgate-scratch-", dir=parent)
        self.addCleanup(shutil.rmtree, folder, True)
        return folder

    @staticmethod
    def pam_wrapper_folders():
        return sorted(name for name in os.listdir("/tmp") if name.startswith("pam."))

    def plant_pam_wrapper_leftovers(self):
        """Every free /tmp/pam.X as a killed start leaves it: an empty pid file."""
        for letter in string.digits + string.ascii_letters:
            folder = "/tmp/pam." + letter
            try:
                os.mkdir(folder)
            except FileExistsError:
                continue
            self.addCleanup(shutil.rmtree, folder, True)
            with open(os.path.join(folder, "pid"), "x"):
                pass


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
    global PRIVATE_SCRATCH, LIBFAKETIME
    if len(sys.argv) == 3 and sys.argv[1] == "--spawn":
        spawn(sys.argv[2])
        return
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    PRIVATE_SCRATCH, LIBFAKETIME = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    if os.geteuid() != 0:
        print("skipped: needs root to mount a private /dev/shm and /tmp")
        sys.exit(77)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
