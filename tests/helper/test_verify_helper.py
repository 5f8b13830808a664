"""otpgate-verify, the set-uid root helper, as users meet it and as an
attacker meets it.

Real users (useradd, removed afterwards), the helper installed set-uid root
in a temporary directory (the test build reads the configuration at the
path it was built with, which this test writes), the real clock, and the
`file` backend's outbox standing in for the phone and the mailbox. Logins go
through the real pam_otpgate.so (pamtester under pam_wrapper).

Usage: test_verify_helper.py --helper otpgate-verify-test --config PATH
       --otpgate otpgate --module pam_otpgate.so
"""

import argparse
import ctypes
import json
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import pexpect

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (require(), SKIP, write_pam_services())

ARGS = None
USERS = ("otpgvh1", "otpgvh2")
USERS_LOCK = "/run/lock/otpgate-verify-helper-users.lock"
NUMBER = "+447700900123"
NUMBER_2 = "+447700900456"
MASKED = "+44•••••••123"
MASKED_2 = "+44•••••••456"
SAFE_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def remove_user(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["userdel", name], check=False, stderr=subprocess.DEVNULL)


class World:
    """The temporary directory, the installed helper, users, config."""

    def __init__(self):
        # Another run's World (another build folder) uses the same user
        # names: wait for it rather than delete its users under it.
        self.run_lock = cli_sandbox.take_machine_lock(USERS_LOCK)
        self.root = tempfile.mkdtemp(prefix="otpgate-verify-")
        os.chmod(self.root, 0o755)
        self.helper = os.path.join(self.root, "otpgate-verify")
        shutil.copy(ARGS.helper, self.helper)
        os.chown(self.helper, 0, 0)
        os.chmod(self.helper, 0o4755)
        self.state_dir = os.path.join(self.root, "state")
        self.outbox = os.path.join(self.root, "outbox")
        self.users = {}
        for name in USERS:
            remove_user(name)  # a leftover of a run that was killed
            home = os.path.join(self.root, "home-" + name)
            subprocess.run(["useradd", "--no-create-home", "--home-dir", home, "--shell",
                            "/bin/sh", "--user-group", name], check=True)
            entry = pwd.getpwnam(name)
            os.mkdir(home, 0o755)
            os.chown(home, entry.pw_uid, entry.pw_gid)
            self.users[name] = entry
        # The CLI, run by a user, reads a copy the user can reach.
        self.user_config = os.path.join(self.root, "otpgate.conf")
        self.pam_dir = cli_sandbox.write_pam_services(
            os.path.join(self.root, "pam.d"),
            {"otpgate": "auth required %s config=%s\naccount required pam_permit.so\n"
                        % (os.path.abspath(ARGS.module), self.user_config)})
        self.configure()

    def configure(self, extra=()):
        lines = ["state_dir = " + self.state_dir,
                 cli_sandbox.store_config_line(),
                 "sms_backend = file",
                 "sms_outbox = " + self.outbox,
                 "email_backend = file",
                 "email_outbox = " + self.outbox,
                 "sms_allowed_countries = 44",
                 "fail_delay_ms = 0",
                 "notify_changes = no",
                 # Journeys send several codes in a row; the cooldown has its own test.
                 "send_cooldown = 0",
                 "verify_helper = " + self.helper] + list(extra)
        for path in (ARGS.config, self.user_config):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            os.chown(path, 0, 0)
            os.chmod(path, 0o644)

    def reset(self):
        """Every test starts with no enrollment, no state, an empty outbox."""
        self.configure()
        shutil.rmtree(self.state_dir, ignore_errors=True)
        for entry in self.users.values():
            for name in os.listdir(entry.pw_dir):
                path = os.path.join(entry.pw_dir, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
        if os.path.exists(self.outbox):
            os.unlink(self.outbox)

    def recreate_user(self, name):
        """userdel, then useradd of the same name with another uid and the
        same (emptied) home; returns the old account."""
        old = self.users[name]
        subprocess.run(["userdel", name], check=True)
        uid = old.pw_uid + 1000
        while True:
            try:
                pwd.getpwuid(uid)
                uid += 1
            except KeyError:
                break
        subprocess.run(["useradd", "--no-create-home", "--home-dir", old.pw_dir, "--shell",
                        "/bin/sh", "--user-group", "--uid", str(uid), name], check=True)
        entry = pwd.getpwnam(name)
        shutil.rmtree(old.pw_dir)
        os.mkdir(old.pw_dir, 0o755)
        os.chown(old.pw_dir, entry.pw_uid, entry.pw_gid)
        self.users[name] = entry
        return old

    def cleanup(self):
        for name in USERS:
            remove_user(name)
        shutil.rmtree(self.root, ignore_errors=True)
        if os.path.exists(ARGS.config):
            os.unlink(ARGS.config)
        self.run_lock.close()

    # --- what arrived ---------------------------------------------------------

    def messages(self):
        if not os.path.exists(self.outbox):
            return []
        with open(self.outbox, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def wait_for_message(self, count, seconds=30.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            messages = self.messages()
            if len(messages) >= count:
                return messages[count - 1]
            time.sleep(0.02)
        raise AssertionError("no message %d arrived; outbox: %r" % (count, self.messages()))

    # --- running things as a user -------------------------------------------

    def as_user(self, user, argv):
        entry = self.users[user]
        return ["setpriv", "--reuid=%d" % entry.pw_uid, "--regid=%d" % entry.pw_gid,
                "--init-groups", "--"] + argv

    def user_env(self, user, extra=None):
        env = {"PATH": os.environ["PATH"], "HOME": self.users[user].pw_dir, "LANG": "C.UTF-8"}
        env.update(extra or {})
        return env

    def spawn(self, user, argv, env_extra=None):
        child = pexpect.spawn(self.as_user(user, argv)[0], self.as_user(user, argv)[1:],
                              env=self.user_env(user, env_extra), encoding="utf-8", timeout=20)
        return child

    def cli(self, user, args):
        return self.spawn(user, [os.path.abspath(ARGS.otpgate), "--config", self.user_config]
                          + args)

    def run_helper(self, user, args, stdin=b"", env=None, preexec_fn=None):
        return subprocess.run(self.as_user(user, [self.helper] + args), input=stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env if env is not None else self.user_env(user),
                              preexec_fn=preexec_fn, timeout=30, check=False)

    def pamtester(self, user, env_extra=None):
        env = dict(os.environ)
        env.update({"LD_PRELOAD": cli_sandbox.preload("libpam_wrapper.so"), "PAM_WRAPPER": "1",
                    "PAM_WRAPPER_SERVICE_DIR": self.pam_dir})
        env.update(env_extra or {})
        return pexpect.spawn("pamtester", ["otpgate", user, "authenticate"], env=env,
                             encoding="utf-8", timeout=20)


WORLD = None


def totp(secret, offset=0):
    """The app's code, from oathtool, `offset` seconds from now."""
    moment = "@%d" % (int(time.time()) + offset)
    return subprocess.run(["oathtool", "--totp", "-b", "-N", moment, secret], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def settle_into_a_step(needed=10):
    """Sleep until at least `needed` seconds of the current TOTP step remain.

    A code of another step than the current one is valid only while the
    step it was computed in lasts; a step ending between computing it and
    the check (slow under ASan) would turn it into a code two steps away.
    """
    left = 30 - time.time() % 30
    if left < needed:
        time.sleep(left + 0.2)


def code_in(message):
    match = re.search(r"\b(\d{6})\b", message["text"])
    assert match, message
    return match.group(1)


class HelperJourneys(unittest.TestCase):
    """What a user does on the way to what a test checks; no tests."""

    def setUp(self):
        WORLD.reset()
        self.children = []

    def tearDown(self):
        for child in self.children:
            child.close(force=True)

    def track(self, child):
        self.children.append(child)
        return child

    def answer_from_outbox(self, child, count, prompt):
        child.expect_exact(prompt)
        message = WORLD.wait_for_message(count)
        child.sendline(code_in(message))
        return message

    def enroll_sms(self, user="otpgvh1", number=NUMBER, masked=MASKED):
        child = self.track(WORLD.cli(user, ["enroll", "sms", number]))
        message = self.answer_from_outbox(child, len(WORLD.messages()) + 1,
                                          "Enter the code sent to %s: " % masked)
        child.expect_exact("are now the second factor of user " + user)
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        return message

    def log_in(self, user, masked=MASKED):
        child = self.track(WORLD.pamtester(user))
        count = len(WORLD.messages()) + 1
        self.answer_from_outbox(child, count, "Code sent by SMS to %s (r = resend): " % masked)
        child.expect("successfully authenticated")
        return WORLD.messages()[count - 1]

    def enrollment_file(self, user="otpgvh1"):
        """Where the store under test keeps the user's enrollment."""
        return cli_sandbox.enrollment_location(WORLD.state_dir, WORLD.users[user].pw_dir, user)

    def enroll_sms_as_root(self, user, number=NUMBER):
        """Root provisions the number as verified (no helper, no code)."""
        result = subprocess.run([os.path.abspath(ARGS.otpgate), "--config", WORLD.user_config,
                                 "enroll", "sms", number, "--user", user, "--verified"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                                check=False)
        self.assertEqual(result.returncode, 0, result.stderr)

    def assert_spent(self, user, code):
        """The TOTP code cannot log in (the configuration is reset to one
        attempt, so one refusal ends the login)."""
        WORLD.configure(["max_attempts = 1"])
        login = self.track(WORLD.pamtester(user))
        login.expect_exact("Verification code: ")
        login.sendline(code)
        login.expect_exact("Authentication failure")

    def enroll_totp(self, user="otpgvh1"):
        """The user's own TOTP enrollment, confirmed with the code of the
        step before the current one; returns the secret."""
        child = self.track(WORLD.cli(user, ["enroll", "totp", "--qr", "none"]))
        child.expect(r"Secret: +([A-Z2-7 ]+)\r?\n")
        secret = child.match.group(1).replace(" ", "")
        child.expect_exact("code from your app: ")
        # The step before the current one: still inside the window, and a
        # different code from the current step's.
        settle_into_a_step()
        child.sendline(totp(secret, offset=-30))
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        return secret


class HelperTest(HelperJourneys):
    # --- a user's journeys ----------------------------------------------------

    def test_user_enrolls_a_phone_number_and_logs_in_with_it(self):
        verification = self.enroll_sms()
        self.assertEqual((verification["kind"], verification["to"]), ("verification_code", NUMBER))
        info = os.lstat(self.enrollment_file())
        self.assertEqual((info.st_uid, stat.S_IMODE(info.st_mode)),
                         (cli_sandbox.enrollment_owner(WORLD.users["otpgvh1"].pw_uid), 0o600))
        state = os.lstat(os.path.join(WORLD.state_dir, "otpgvh1"))
        self.assertEqual((state.st_uid, state.st_gid, stat.S_IMODE(state.st_mode)), (0, 0, 0o600))
        login = self.log_in("otpgvh1")
        self.assertEqual((login["kind"], login["to"]), ("login_code", NUMBER))

    def test_user_enrolls_an_email_address(self):
        child = self.track(WORLD.cli("otpgvh1", ["enroll", "email", "Alice@Example.COM"]))
        message = self.answer_from_outbox(child, 1, "Enter the code sent to A•••@example.com: ")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        self.assertEqual(message["to"], "Alice@example.com")

    def test_a_wrong_code_verifies_and_saves_nothing(self):
        child = self.track(WORLD.cli("otpgvh1", ["enroll", "sms", NUMBER]))
        for _ in range(3):
            child.expect_exact("Enter the code sent to %s: " % MASKED)
            child.sendline("000000" if code_in(WORLD.wait_for_message(1)) != "000000" else "111111")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 1)
        self.assertIn("code not verified; nothing was changed", child.before)
        self.assertFalse(os.path.lexists(self.enrollment_file()))

    def test_changing_the_number_needs_a_code_to_the_old_one_first(self):
        self.enroll_sms()
        child = self.track(WORLD.cli("otpgvh1", ["enroll", "sms", NUMBER_2]))
        old = self.answer_from_outbox(child, 2, "Code sent by SMS to %s (r = resend): " % MASKED)
        self.assertEqual((old["to"], old["kind"]), (NUMBER, "change_code"))
        new = self.answer_from_outbox(child, 3, "Enter the code sent to %s: " % MASKED_2)
        self.assertEqual((new["to"], new["kind"]), (NUMBER_2, "verification_code"))
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        self.log_in("otpgvh1", MASKED_2)
        self.assertEqual(WORLD.messages()[-1]["to"], NUMBER_2)

    def test_without_the_old_code_nothing_goes_to_the_new_number(self):
        self.enroll_sms()
        WORLD.configure(["max_attempts = 1"])
        child = self.track(WORLD.cli("otpgvh1", ["enroll", "sms", NUMBER_2]))
        child.expect_exact("(r = resend): ")
        WORLD.wait_for_message(2)
        child.sendline("12345")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 1)
        self.assertEqual([m["to"] for m in WORLD.messages()], [NUMBER, NUMBER])
        self.log_in("otpgvh1", MASKED)  # still the old number

    def test_switching_from_sms_to_totp_needs_the_sms_code_first(self):
        self.enroll_sms()
        child = self.track(WORLD.cli("otpgvh1", ["enroll", "totp", "--qr", "none"]))
        self.answer_from_outbox(child, 2, "Code sent by SMS to %s (r = resend): " % MASKED)
        child.expect(r"Secret: +([A-Z2-7 ]+)\r?\n")
        secret = child.match.group(1).replace(" ", "")
        child.expect_exact("code from your app: ")
        child.sendline(totp(secret))
        child.expect_exact("TOTP is now enrolled")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)

    def test_switching_away_fails_without_the_current_code(self):
        self.enroll_sms()
        WORLD.configure(["max_attempts = 1"])
        before = open(self.enrollment_file(), "rb").read()
        child = self.track(WORLD.cli("otpgvh1", ["enroll", "totp", "--qr", "none"]))
        child.expect_exact("(r = resend): ")
        child.sendline("999999")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 1)
        self.assertNotIn("Secret:", child.before)
        self.assertEqual(open(self.enrollment_file(), "rb").read(), before)

    def test_disable_needs_a_code_sent_to_the_phone(self):
        self.enroll_sms()
        WORLD.configure(["max_attempts = 1"])
        child = self.track(WORLD.cli("otpgvh1", ["disable"]))
        child.expect_exact("(r = resend): ")
        child.sendline("999999")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 1)
        self.assertTrue(os.path.exists(self.enrollment_file()))
        WORLD.configure()
        child = self.track(WORLD.cli("otpgvh1", ["disable"]))
        self.answer_from_outbox(child, 3, "(r = resend): ")
        child.expect_exact("Code accepted. Removed the enrollment of user otpgvh1.")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0)
        self.assertFalse(os.path.lexists(self.enrollment_file()))

    def test_disable_sends_the_change_text_and_a_login_the_login_text(self):
        # A code that confirms a change must not read like a login code: the
        # person who did not ask for it is to learn that someone may be
        # changing their second factor.
        self.enroll_sms()
        login = self.log_in("otpgvh1")
        self.assertEqual(login["kind"], "login_code")
        self.assertIn("login code", login["text"])
        child = self.track(WORLD.cli("otpgvh1", ["disable"]))
        change = self.answer_from_outbox(child, 3, "(r = resend): ")
        child.expect_exact("Code accepted. Removed the enrollment of user otpgvh1.")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        self.assertEqual((change["kind"], change["to"]), ("change_code", NUMBER))
        self.assertIn("confirms a change to your", change["text"])
        self.assertIn("Someone may be trying to change it: contact your administrator",
                      change["text"])
        self.assertNotIn("login", change["text"])

    def test_a_proof_is_recorded_so_the_same_code_cannot_log_in_again(self):
        self.enroll_sms()
        child = self.track(WORLD.cli("otpgvh1", ["backup-codes"]))
        message = self.answer_from_outbox(child, 2, "(r = resend): ")
        child.expect_exact("New backup codes")
        child.expect(pexpect.EOF)
        # The code that proved possession was a one-time code of its own run.
        WORLD.configure(["max_attempts = 1"])
        login = self.track(WORLD.pamtester("otpgvh1"))
        login.expect_exact("(r = resend): ")
        WORLD.wait_for_message(3)
        login.sendline(code_in(message))
        login.expect("Authentication failure")

    def test_a_totp_code_proved_through_the_helper_is_spent(self):
        secret = self.enroll_totp()
        code = totp(secret)
        child = self.track(WORLD.cli("otpgvh1", ["backup-codes"]))
        child.expect_exact("Verification code: ")
        child.sendline(code)
        child.expect_exact("New backup codes")
        child.expect(pexpect.EOF)
        # Recorded in the root-owned state: the same code cannot log in.
        self.assert_spent("otpgvh1", code)

    @cli_sandbox.files_store_only("the new account's own file names the old number")
    def test_a_recreated_account_inherits_no_verified_number_and_no_lock(self):
        # userdel leaves root's state of the name behind; useradd gives the
        # name to a new uid. The new account's own file may name the old
        # number, yet no code goes there, and the old lock is not its lock.
        user = "otpgvh2"
        self.enroll_sms(user)
        with open(self.enrollment_file(user), "rb") as f:
            enrollment = f.read()
        WORLD.configure(["max_attempts = 1", "lockout_failures = 1"])
        login = self.track(WORLD.pamtester(user))
        login.expect_exact("(r = resend): ")
        sent = code_in(WORLD.wait_for_message(2))
        login.sendline("000000" if sent != "000000" else "111111")
        login.expect_exact("Authentication failure")
        locked_out = len(WORLD.messages())
        login = self.track(WORLD.pamtester(user))
        login.expect_exact("(r = resend): ")  # locked: the same dialogue, no code sent
        login.sendline(sent)
        login.expect_exact("Authentication failure")
        self.assertEqual(len(WORLD.messages()), locked_out)

        old = WORLD.recreate_user(user)
        self.assertNotEqual(WORLD.users[user].pw_uid, old.pw_uid)
        path = self.enrollment_file(user)
        with open(path, "wb") as f:
            f.write(enrollment)
        os.chown(path, WORLD.users[user].pw_uid, WORLD.users[user].pw_gid)
        os.chmod(path, 0o600)

        before = len(WORLD.messages())
        login = self.track(WORLD.pamtester(user))
        login.expect_exact("No code can be sent. ")  # not locked, and the number unverified
        login.sendline("000000")
        login.expect_exact("Authentication failure")
        self.assertEqual(len(WORLD.messages()), before, WORLD.messages()[before:])

    @cli_sandbox.local_store_only("root's file names the account it was made for")
    def test_a_recreated_account_is_not_enrolled_by_the_file_of_the_old_one(self):
        # userdel leaves root's file of the name behind; useradd gives the
        # name to a new uid, which must count as not enrolled: asked for a
        # code like anyone (no code sent), refused, and nothing to prove.
        user = "otpgvh2"
        self.enroll_sms_as_root(user)
        old = WORLD.recreate_user(user)
        self.assertNotEqual(WORLD.users[user].pw_uid, old.pw_uid)
        self.assertTrue(os.path.exists(self.enrollment_file(user)))
        WORLD.configure(["max_attempts = 1"])
        before = len(WORLD.messages())
        login = self.track(WORLD.pamtester(user))
        login.expect_exact("Verification code: ")
        self.assertNotIn("No code can be sent", login.before)  # as an SMS user would be
        login.sendline("000000")
        login.expect_exact("Authentication failure")
        self.assertEqual(len(WORLD.messages()), before, WORLD.messages()[before:])
        result = WORLD.run_helper(user, ["prove"], stdin=b"123456\n")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn(b"you are not enrolled", result.stderr)
        self.assertEqual(len(WORLD.messages()), before)

    # --- limits -----------------------------------------------------------------

    def test_send_limits_hold_across_runs(self):
        WORLD.configure(["send_cooldown = 30"])
        first = WORLD.run_helper("otpgvh1", ["sms", NUMBER])
        self.assertEqual(first.returncode, 1, first.stderr)
        second = WORLD.run_helper("otpgvh1", ["sms", NUMBER_2])
        self.assertEqual(second.returncode, 7, second.stderr)
        self.assertRegex(second.stderr.decode(), r"too many codes were sent to you; try again in \d+ s")
        self.assertEqual(len(WORLD.messages()), 1)
        # The hourly cap, with no cooldown at all.
        WORLD.configure(["send_cooldown = 0", "max_sends_per_hour = 3"])
        results = [WORLD.run_helper("otpgvh1", ["sms", NUMBER]).returncode for _ in range(4)]
        self.assertEqual(results, [1, 1, 7, 7])
        self.assertEqual(len(WORLD.messages()), 3)

    def test_a_killed_helper_holds_no_lock(self):
        child = subprocess.Popen(WORLD.as_user("otpgvh1", [WORLD.helper, "sms", NUMBER]),
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=WORLD.user_env("otpgvh1"))
        WORLD.wait_for_message(1)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        started = time.monotonic()
        again = WORLD.run_helper("otpgvh1", ["sms", NUMBER])
        self.assertEqual(again.returncode, 1, again.stderr)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(len(WORLD.messages()), 2)

    # --- hostile callers ----------------------------------------------------------

    def test_bad_requests_are_refused_and_send_nothing(self):
        cases = [[], ["prove", "extra"], ["sms"], ["sms", "07700900123"],
                 ["sms", "+33612345678"], ["sms", "+44 7700 900123"], ["sms", NUMBER, "x"],
                 ["SMS", NUMBER], ["--user", "root", "sms", NUMBER],
                 ["email", "a@b@example.com"], ["email", "alice@example.com\nBcc: x@example.org"],
                 ["email", "a" * 400 + "@example.com"], ["email", "<alice@example.com>"],
                 ["sms", "+" + "4" * 300], ["relay", NUMBER, "any text"]]
        for args in cases:
            with self.subTest(args=args):
                result = WORLD.run_helper("otpgvh1", args)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(b"otpgate-verify: error: ", result.stderr)
        self.assertEqual(WORLD.messages(), [])
        self.assertFalse(os.path.exists(os.path.join(WORLD.state_dir, "otpgvh1")))

    def test_an_empty_argv_is_refused(self):
        pid = os.fork()
        if pid == 0:
            try:
                os.setgid(WORLD.users["otpgvh1"].pw_gid)
                os.setuid(WORLD.users["otpgvh1"].pw_uid)
                libc = ctypes.CDLL(None, use_errno=True)
                argv = (ctypes.c_char_p * 1)(None)
                envp = (ctypes.c_char_p * 1)(None)
                libc.execve(WORLD.helper.encode(), argv, envp)
            finally:
                os._exit(99)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 2)
        self.assertEqual(WORLD.messages(), [])

    def test_the_callers_environment_and_identity_do_not_reach_what_it_runs(self):
        # The command backend runs a program, which records what it was given.
        seen = os.path.join(WORLD.root, "seen")
        program = os.path.join(WORLD.root, "record")
        with open(program, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\n{ /usr/bin/id -ru; /usr/bin/id -u; /usr/bin/env; } > %s\n"
                    "cat > /dev/null\n" % seen)
        os.chmod(program, 0o755)
        WORLD.configure(["sms_backend = command", "sms_command = " + program])
        hostile = WORLD.user_env("otpgvh1", {
            # Would move the helper's clock back a year if it were honoured.
            "LD_PRELOAD": cli_sandbox.FAKETIME_LIBRARY, "FAKETIME": "-365d",
            "LD_LIBRARY_PATH": "/tmp/evil", "PATH": "/tmp/evil:/usr/bin:/bin", "IFS": "x",
            "OPENSSL_CONF": "/tmp/evil.cnf", "SSL_CERT_FILE": "/tmp/evil.pem",
            "CURL_CA_BUNDLE": "/tmp/evil.pem", "https_proxy": "http://127.0.0.1:9",
            "ALL_PROXY": "http://127.0.0.1:9", "TZ": "../../../tmp/evil", "LANG": "xx_EVIL",
            "OTPGATE_EVIL": "1", "HUGE": "x" * 100000})
        before = time.time()
        result = WORLD.run_helper("otpgvh1", ["sms", NUMBER], env=hostile)
        self.assertEqual(result.returncode, 1, result.stderr)  # sent, but no code typed
        with open(seen, encoding="utf-8") as f:
            lines = f.read().splitlines()
        # Root through and through: not the caller as real user (sendmail
        # and friends would read the caller's own configuration).
        self.assertEqual(lines[:2], ["0", "0"])
        variables = dict(line.split("=", 1) for line in lines[2:] if "=" in line)
        self.assertEqual(variables.get("PATH"), SAFE_PATH)
        for name in hostile:
            if name != "PATH":
                self.assertNotIn(name, variables)
        # The state records the send at the real time, not a year ago: a
        # later send is throttled by the hourly cap, not admitted.
        WORLD.configure(["max_sends_per_hour = 1"])
        again = WORLD.run_helper("otpgvh1", ["sms", NUMBER])
        self.assertEqual(again.returncode, 7, again.stderr)
        self.assertLess(time.time() - before, 30)

    def test_closed_standard_descriptors_cannot_aim_output_at_the_state(self):
        self.enroll_sms()

        def close_standard_descriptors():
            for fd in (0, 1, 2):
                os.close(fd)

        result = WORLD.run_helper("otpgvh1", ["sms", NUMBER_2],
                                  preexec_fn=close_standard_descriptors)
        self.assertEqual(result.returncode, 1)  # no answer: nothing proved
        state = os.path.join(WORLD.state_dir, "otpgvh1")
        self.assertEqual(os.path.getsize(state), 1024)
        self.log_in("otpgvh1", MASKED)  # the state still reads and the number still works

    def test_hostile_answers_are_wrong_codes(self):
        answers = b"x" * 1000000 + b"\n" + b"12\x0034\x005\n" + b"\x1b[2J\xff\xfe\n"
        result = WORLD.run_helper("otpgvh1", ["sms", NUMBER], stdin=answers)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stderr.count(b"That code is not valid"), 3)

    def test_a_symlinked_enrollment_is_refused_not_followed(self):
        # In the user's home, or (store = local) in root's folder of them.
        os.makedirs(os.path.dirname(self.enrollment_file()), mode=0o700, exist_ok=True)
        os.symlink("/etc/shadow", self.enrollment_file())
        before = os.stat("/etc/shadow")
        for args in (["prove"], ["sms", NUMBER]):
            result = WORLD.run_helper("otpgvh1", args)
            self.assertEqual(result.returncode, 4, result.stderr)
            self.assertIn(b"refusing your enrollment", result.stderr)
        self.assertEqual(os.stat("/etc/shadow").st_mtime_ns, before.st_mtime_ns)
        self.assertEqual(WORLD.messages(), [])

    def test_prove_without_an_enrollment_proves_nothing(self):
        result = WORLD.run_helper("otpgvh1", ["prove"], stdin=b"123456\n")
        self.assertEqual(result.returncode, 3)
        self.assertIn(b"you are not enrolled", result.stderr)

    def test_a_user_proves_only_their_own_factor(self):
        self.enroll_sms("otpgvh1")
        # otpgvh2 has nothing: proving fails however hard they try.
        result = WORLD.run_helper("otpgvh2", ["prove"], stdin=b"123456\n")
        self.assertEqual(result.returncode, 3)
        self.assertEqual([m["user"] for m in WORLD.messages()], ["otpgvh1"])

    def test_without_the_set_uid_bit_it_refuses_to_run(self):
        plain = os.path.join(WORLD.root, "plain-helper")
        shutil.copy(WORLD.helper, plain)
        os.chmod(plain, 0o755)
        result = subprocess.run(WORLD.as_user("otpgvh1", [plain, "sms", NUMBER]),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(result.returncode, 4)
        self.assertIn(b"must be installed set-uid root", result.stderr)

    def test_without_the_helper_users_are_told_to_ask_root(self):
        WORLD.configure(["verify_helper ="])
        child = self.track(WORLD.cli("otpgvh1", ["enroll", "sms", NUMBER]))
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 4)
        self.assertIn("otpgate enroll sms DESTINATION --user otpgvh1", child.before)
        if cli_sandbox.LOCAL_STORE:
            self.assertIn("root keeps the enrollments (store = local)", child.before)
            self.assertIn("nothing was changed", child.before)


def main(*required_programs):
    """Runs the calling script's tests in a World; skips (77) without
    `required_programs` or the ones every helper test needs."""
    global ARGS, WORLD
    parser = argparse.ArgumentParser()
    parser.add_argument("--helper", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--otpgate", required=True)
    parser.add_argument("--module", required=True)
    ARGS, rest = parser.parse_known_args()
    cli_sandbox.require("oathtool", "pamtester", "setpriv", "useradd", "userdel",
                        *required_programs)
    WORLD = World()
    try:
        unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
    finally:
        WORLD.cleanup()


if __name__ == "__main__":
    main()
