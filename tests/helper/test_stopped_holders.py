"""Nobody holds other users' logins by stopping or starving a lock holder.

A user at a real terminal, with a job-control shell, presses the suspend
key while otpgate-verify waits for their code: the helper ignores it (a
stopped helper would keep the replay fence or the host SMS log locked for
as long as the user liked). The scheduling and limits the user chose do
not reach it either. And a lock holder that can be stopped (here a root
process at a terminal, standing in for `su` or `sudo`, whose real uid is
the user's) delays another user's login only until lock_timeout_ms: the
login fails closed with a log line naming the lock, and passes once the
holder is gone.

Real users, the set-uid helper, pamtester under pam_wrapper and bash at a
pty, from test_verify_helper's World.

Usage: test_stopped_holders.py --helper ... --config ... --otpgate ... --module ...
"""

import ctypes
import os
import resource
import sys
import time

import pexpect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_verify_helper as helper_test  # noqa: E402  (World, arguments)

PR_SET_TIMERSLACK = 29
SCHED_IDLE = 5


def job_control_shell(user=None):
    """An interactive bash at a new pty, as a user would have one.

    The command it runs gets a process group of its own in the terminal's
    session, with bash (another group) as its parent: the group is not
    orphaned, so the kernel does stop it on the suspend key.
    """
    argv = ["bash", "--norc", "--noprofile", "-i"]
    if user is not None:
        argv = helper_test.WORLD.as_user(user, argv)
        env = helper_test.WORLD.user_env(user)
    else:
        env = {"PATH": os.environ["PATH"], "HOME": "/root", "LANG": "C.UTF-8"}
    env["PS1"] = "shell$ "
    shell = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=20)
    shell.expect_exact("shell$ ")
    return shell


def pids_running(path):
    """Processes whose argv[0] is `path`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv0 = f.read().split(b"\0", 1)[0]
        except OSError:
            continue
        if argv0 == path.encode():
            found.append(int(entry))
    return found


def wait_for_pid(path, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = pids_running(path)
        if pids:
            return pids[0]
        time.sleep(0.02)
    raise AssertionError("%s never started" % path)


def stat_fields(pid):
    """/proc/PID/stat's fields after the command name, numbered as in proc(5)."""
    with open("/proc/%d/stat" % pid, encoding="ascii") as f:
        text = f.read()
    return [None, None, None] + text[text.rindex(")") + 2:].split()


def flock_held(path):
    """Whether /proc/locks lists an flock on `path`'s inode."""
    info = os.stat(path)
    file_id = "%02x:%02x:%d" % (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino)
    with open("/proc/locks", encoding="ascii") as f:
        return any(line.split()[1] == "FLOCK" and line.split()[5] == file_id
                   for line in f if "->" not in line)


class StoppedHolders(helper_test.HelperJourneys):
    def test_the_suspend_key_does_not_stop_the_helper(self):
        world = helper_test.WORLD
        self.enroll_sms()
        shell = self.track(job_control_shell("otpgvh1"))
        shell.sendline(world.helper + " prove")
        shell.expect_exact("(r = resend): ")
        pid = wait_for_pid(world.helper)
        code = helper_test.code_in(world.wait_for_message(2))
        shell.sendcontrol("z")
        # A stopped helper never reads the code: bash reports the stopped
        # job and takes the digits as a command instead.
        shell.sendline(code)
        index = shell.expect_exact(["Code accepted.", "Stopped"])
        self.assertEqual(index, 0, "the suspend key stopped the helper (state %s)"
                         % (stat_fields(pid)[3] if os.path.exists("/proc/%d" % pid) else "gone"))
        shell.expect_exact("shell$ ")

    def test_the_callers_scheduling_and_limits_do_not_reach_the_helper(self):
        world = helper_test.WORLD
        self.enroll_sms()

        def starve():
            # Everything a user may do to slow a process down before exec.
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
            os.sched_setscheduler(0, SCHED_IDLE, os.sched_param(0))
            os.nice(19)
            ctypes.CDLL(None).prctl(PR_SET_TIMERSLACK, ctypes.c_ulong(10 ** 9), 0, 0, 0)
            # Soft limits only: raising a hard one takes CAP_SYS_RESOURCE,
            # which not every test machine gives root.
            resource.setrlimit(resource.RLIMIT_CPU, (1, resource.RLIM_INFINITY))
            files_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (32, files_hard))

        argv = world.as_user("otpgvh1", [world.helper, "prove"])
        child = self.track(pexpect.spawn(argv[0], argv[1:], env=world.user_env("otpgvh1"),
                                         encoding="utf-8", timeout=20, preexec_fn=starve))
        child.expect_exact("(r = resend): ")
        pid = wait_for_pid(world.helper)
        fields = stat_fields(pid)
        self.assertEqual(fields[19], "0", "nice")
        self.assertEqual(fields[41], "0", "scheduling policy (SCHED_OTHER)")
        self.assertEqual(os.sched_getaffinity(pid), os.sched_getaffinity(0))
        with open("/proc/%d/timerslack_ns" % pid, encoding="ascii") as f:
            self.assertEqual(int(f.read()), 50000)  # the kernel's default
        with open("/proc/%d/limits" % pid, encoding="ascii") as f:
            limits = {line[:26].strip(): line[26:].split() for line in f}
        self.assertEqual(limits["Max cpu time"][0], "unlimited")
        self.assertGreaterEqual(int(limits["Max open files"][0]), 1024)
        self.assertEqual(limits["Max core file size"][0], "0")
        child.sendline(helper_test.code_in(world.wait_for_message(2)))
        child.expect_exact("Code accepted.")

    def test_a_stopped_lock_holder_holds_other_logins_only_until_the_deadline(self):
        world = helper_test.WORLD
        secret = self.enroll_totp("otpgvh2")
        world.configure(["lock_timeout_ms = 1000"])
        fence = os.path.join(world.state_dir, ".replay-fence")
        os.makedirs(world.state_dir, mode=0o700, exist_ok=True)
        os.close(os.open(fence, os.O_CREAT | os.O_WRONLY, 0o600))  # empty: a new fence

        holder = self.track(job_control_shell())
        holder.sendline("flock %s cat" % fence)
        deadline = time.monotonic() + 10
        while not flock_held(fence):
            self.assertLess(time.monotonic(), deadline, "flock never took the fence")
            time.sleep(0.02)
        holder.sendcontrol("z")
        holder.expect_exact("Stopped")

        helper_test.settle_into_a_step(needed=20)
        code = helper_test.totp(secret)
        login = self.track(world.pamtester("otpgvh2", {"PAM_WRAPPER_DEBUGLEVEL": "2"}))
        login.expect_exact("Verification code: ")
        started = time.monotonic()
        login.sendline(code)
        login.expect(pexpect.EOF)
        waited = time.monotonic() - started
        self.assertNotIn("successfully authenticated", login.before)
        self.assertIn("timed out after 1000 ms waiting for the lock on " + fence, login.before)
        self.assertIn("held by process", login.before)
        self.assertGreaterEqual(waited, 1.0)
        # Not a speed target: without the deadline this login never ends.
        self.assertLess(waited, 15.0)

        # The holder gone, the same code logs in: nothing was spent.
        holder.sendline("kill -KILL %1")
        holder.expect_exact("shell$ ")
        deadline = time.monotonic() + 10
        while flock_held(fence):
            self.assertLess(time.monotonic(), deadline, "the fence stayed locked")
            time.sleep(0.02)
        login = self.track(world.pamtester("otpgvh2"))
        login.expect_exact("Verification code: ")
        login.sendline(code)
        login.expect_exact("successfully authenticated")


if __name__ == "__main__":
    helper_test.main("bash", "flock")
