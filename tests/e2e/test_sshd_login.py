"""The built pam_otpgate.so behind a real OpenSSH server on 127.0.0.1.

/usr/sbin/sshd runs in the foreground with its own config, host key and pid
file, under pam_wrapper: its PAM service `sshd` sits in a temporary folder
and names the built module by absolute path with `config=` a temporary
config, so /etc/pam.d and /etc/ssh stay as they are. The test users are real
(useradd), because sshd looks them up through the system, and are removed
with their homes afterwards; their enrollments live in their homes, the
state directory in the temporary folder. The ssh client runs at a terminal
driven by pexpect, as a person would type.

Codes come from where they come from in real life: oathtool plays the
phone app; SMS codes are read at a local HTTPS gateway and email codes at a
real SMTP server with STARTTLS (tests/servers, with a test CA); root enrolls
with the built `otpgate` command, codes confirmed the same way.

sshd cannot run under libfaketime, so time is the real clock; no test
sleeps for it. Every TOTP code is picked for a step the module accepts on
either side of a step boundary (see next_totp_code).

The same PAM stack also runs under su (SuLogin), which asks at its own
terminal and shows the module's log lines (pam_wrapper prints them there).

The world (servers, config, PAM services, sshd, the leftover sweep) is in
sshd_world.py; one is made per test class, users per test.

    test_sshd_login.py --otpgate PATH --module PATH [unittest arguments]
"""

import argparse
import glob
import io
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
import unittest

import pexpect

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import cli_sandbox  # noqa: E402
import sshd_world  # noqa: E402
from sshd_world import KEY_USER_PREFIX, USER_PREFIX  # noqa: E402
from test_delivered_login import read_json_lines, wait_for  # noqa: E402

OTPGATE = MODULE = None

NUMBER_TYPED = "+44 7700 900123"
NUMBER = "+447700900123"
MASKED_NUMBER = "+44\u2022\u2022\u2022\u2022\u2022\u2022\u2022123"
ADDRESS = "carol@example.com"
MASKED_ADDRESS = "c\u2022\u2022\u2022@example.com"
SESSION_COMMAND = "echo logged-in-ok; id -un"
LAST_TRY = "Wrong code. Last try. No code? Call the service desk. "


# --- what every test class shares ---------------------------------------------------

class LoginTest(unittest.TestCase):
    """What every test class here shares: the world, users and the CLI."""

    world = None
    user_count = 0

    @classmethod
    def setUpClass(cls):
        cleanups = []
        cls.addClassCleanup(sshd_world.run_cleanups, cleanups)
        lock = sshd_world.take_run_lock()
        cleanups.append(lock.close)
        sshd_world.remove_leftovers()
        cls.world = sshd_world.SshWorld(MODULE, cleanups)

    # --- users ---------------------------------------------------------------

    def make_user(self, prefix=USER_PREFIX):
        LoginTest.user_count += 1
        name = "%s%d" % (prefix, LoginTest.user_count)
        self.addCleanup(sshd_world.remove_user, name)
        result = sshd_world.run_quietly([sshd_world.USERADD, "-m", "-s", "/bin/sh",
                                         "-c", "otpgate e2e test", name])
        self.assertEqual(result.returncode, 0, result.stdout)
        return name

    @staticmethod
    def home(user):
        return pwd.getpwnam(user).pw_dir

    def give_key(self, user):
        """A client key for `user`, authorised in ~/.ssh/authorized_keys."""
        key = self.world.path("key-" + user)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", user, "-f", key],
                       check=True)
        account = pwd.getpwnam(user)
        ssh_dir = os.path.join(account.pw_dir, ".ssh")
        os.mkdir(ssh_dir, 0o700)
        authorized = os.path.join(ssh_dir, "authorized_keys")
        shutil.copyfile(key + ".pub", authorized)
        os.chmod(authorized, 0o600)
        for path in (ssh_dir, authorized):
            os.chown(path, account.pw_uid, account.pw_gid)
        return key

    # --- the otpgate command, as root -----------------------------------------

    def otpgate(self, args):
        return [os.path.abspath(OTPGATE), "--config", self.world.config] + list(args)

    @staticmethod
    def cli_env():
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}

    def enroll_totp(self, user):
        """Enrolls `user` with TOTP as a provisioning script would and returns
        (secret, uri, step of the confirming code)."""
        argv = self.otpgate(["enroll", "totp", "--user", user, "--qr", "none"])
        with subprocess.Popen(argv, env=self.cli_env(), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
            shown = ""
            while "Parameters:" not in shown:
                line = process.stdout.readline()
                if not line:
                    break
                shown += line
            secret, uri = cli_sandbox.printed_secret(shown), cli_sandbox.printed_uri(shown)
            code, step = self.next_totp_code(secret, uri, last_step=0)
            out, err = process.communicate(code + "\n", timeout=30)
        self.assertEqual(process.returncode, 0, shown + out + err)
        self.assertIn("TOTP is now enrolled for user " + user, out)
        enrollment = os.stat(os.path.join(self.home(user), ".otpgate"))
        self.assertEqual((enrollment.st_uid, enrollment.st_mode & 0o777),
                         (pwd.getpwnam(user).pw_uid, 0o600))
        return secret, uri, step

    @staticmethod
    def next_totp_code(secret, uri, last_step):
        """A code the module accepts now and for the next ~30 s: the code of
        the current step, or of the next one when the current step is used.
        With totp_window = 1 either is accepted if the check runs in the
        current step or in the next, so a step boundary between here and
        the check does no harm, and nothing waits for one."""
        period = int(cli_sandbox.uri_parameters(uri).get("period", "30"))
        step = max(last_step + 1, int(time.time()) // period)
        # Only when more than one step ahead is used (never in these tests)
        # would the code be out of the window: wait until it is not.
        while step > int(time.time()) // period + 1:
            time.sleep(0.1)
        return LoginTest.totp_code_of_step(secret, uri, step), step

    @staticmethod
    def totp_code_of_step(secret, uri, step):
        period = int(cli_sandbox.uri_parameters(uri).get("period", "30"))
        return cli_sandbox.totp_code(secret, step * period, uri)

    def enroll_delivered(self, user, channel):
        """Root enrolls `user`'s phone or address; the code sent to it is read
        where it arrived and typed back, as the person would."""
        destination = NUMBER_TYPED if channel == "sms" else ADDRESS
        before = len(self.codes_sent(channel))
        argv = self.otpgate(["enroll", channel, destination, "--user", user])
        with subprocess.Popen(argv, env=self.cli_env(), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as process:
            code = self.wait_for_code(channel, before + 1)
            out, err = process.communicate(code + "\n", timeout=30)
        self.assertEqual(process.returncode, 0, out + err)
        self.assertIn("are now the second factor of user " + user, out)

    # --- what reached the gateway and the mailbox -------------------------------

    def codes_sent(self, channel):
        """Messages with a code, oldest first (change notices left out)."""
        if channel == "sms":
            return [m for m in read_json_lines(self.world.sms_log) if m["json"]["to"] == NUMBER]
        return [m for m in read_json_lines(self.world.mail_log)
                if m["rcpt_tos"] == [ADDRESS]
                and not m["subject"].startswith("Second factor changed")]

    def wait_for_code(self, channel, count):
        messages = wait_for(lambda: self.codes_sent(channel)
                            if len(self.codes_sent(channel)) >= count else None)
        message = messages[count - 1]
        if channel == "email":
            self.assertTrue(message["tls"], "the code must travel under STARTTLS")
        text = message["json"]["text"] if channel == "sms" else message["body"]
        match = re.search(r"\b(\d{6})\b", text)
        self.assertTrue(match, message)
        return match.group(1)

    # --- the ssh client at a terminal ---------------------------------------------

    def ssh(self, user, key=None, methods="keyboard-interactive"):
        """Starts `ssh USER@127.0.0.1 SESSION_COMMAND` at a pty; the full
        transcript is kept in child.transcript."""
        options = {
            "Port": str(self.world.port),
            "User": user,
            "UserKnownHostsFile": "/dev/null",
            "StrictHostKeyChecking": "no",
            "LogLevel": "ERROR",
            "PreferredAuthentications": methods,
            "KbdInteractiveAuthentication": "yes",
            "PasswordAuthentication": "no",
            "GSSAPIAuthentication": "no",
            "PubkeyAuthentication": "yes" if key else "no",
            "IdentitiesOnly": "yes",
            "IdentityAgent": "none",
            # One keyboard-interactive round: a refused login ends at once.
            "NumberOfPasswordPrompts": "1",
            "ConnectTimeout": "10",
        }
        if key:
            options["IdentityFile"] = key
        argv = ["-F", "/dev/null", "-T"]
        for name, value in options.items():
            argv += ["-o", "%s=%s" % (name, value)]
        argv += ["127.0.0.1", SESSION_COMMAND]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.world.root,
               "TERM": "dumb"}
        child = pexpect.spawn("ssh", argv, env=env, encoding="utf-8", timeout=20,
                              dimensions=(24, 200))
        child.transcript = io.StringIO()
        child.logfile_read = child.transcript
        self.addCleanup(child.close, force=True)
        return child

    def finish(self, child):
        child.expect(pexpect.EOF)
        child.close()
        return child.exitstatus, child.transcript.getvalue()

    def assert_logged_in(self, child, user):
        status, transcript = self.finish(child)
        self.assertEqual(status, 0, transcript + self.world.diagnostics())
        self.assert_session_ran(transcript, user)

    def assert_session_ran(self, transcript, user):
        # The command ran, as the user: the login really happened.
        lines = transcript.splitlines()
        self.assertIn("logged-in-ok", lines, transcript)
        self.assertIn(user, lines[lines.index("logged-in-ok") + 1:], transcript)

    def assert_refused(self, child):
        status, transcript = self.finish(child)
        self.assertEqual(status, 255, transcript + self.world.diagnostics())
        self.assertIn("Permission denied", transcript)
        self.assertNotIn("logged-in-ok", transcript)
        return transcript


class SshdLogin(LoginTest):
    """Keyboard-interactive logins through sshd, one test per journey."""

    def test_totp_login_with_a_code_from_oathtool(self):
        user = self.make_user()
        secret, uri, step = self.enroll_totp(user)
        code, _ = self.next_totp_code(secret, uri, step)
        child = self.ssh(user)
        child.expect_exact("Verification code: ")
        self.assertIn("(%s@127.0.0.1) Verification code: " % user, child.transcript.getvalue())
        child.sendline(code)
        self.assert_logged_in(child, user)
        self.assertNotIn(code, child.transcript.getvalue(), "the code must not be echoed")

    def test_wrong_totp_code_is_refused(self):
        user = self.make_user()
        secret, uri, step = self.enroll_totp(user)
        code, _ = self.next_totp_code(secret, uri, step)
        child = self.ssh(user)
        for _ in range(2):  # max_attempts = 2
            child.expect_exact("Verification code: ")
            child.sendline(cli_sandbox.wrong_code(code))
        self.assert_refused(child)
        # Refused for the code, not for anything else: the right one works.
        child = self.ssh(user)
        child.expect_exact("Verification code: ")
        child.sendline(code)
        self.assert_logged_in(child, user)

    def test_replayed_totp_code_is_refused(self):
        user = self.make_user()
        secret, uri, step = self.enroll_totp(user)
        code, _ = self.next_totp_code(secret, uri, step)
        child = self.ssh(user)
        child.expect_exact("Verification code: ")
        child.sendline(code)
        self.assert_logged_in(child, user)
        child = self.ssh(user)
        for _ in range(2):
            child.expect_exact("Verification code: ")
            child.sendline(code)
        # The same code at the same time, accepted a moment ago: only the
        # record of its step can refuse it. (sshd's PAM process writes the
        # module's log lines nowhere a test can read; su below checks them.)
        self.assert_refused(child)

    def test_code_that_confirmed_the_enrollment_is_spent(self):
        user = self.make_user()
        secret, uri, step = self.enroll_totp(user)
        spent = self.totp_code_of_step(secret, uri, step)
        child = self.ssh(user)
        for _ in range(2):
            child.expect_exact("Verification code: ")
            child.sendline(spent)
        self.assert_refused(child)

    def test_users_without_enrollment_are_asked_alike_and_refused(self):
        # No oracle over ssh: someone not enrolled, or no one at all, meets
        # the same prompt as an enrolled user and is refused after it.
        for user in (self.make_user(), USER_PREFIX + "nobody"):
            child = self.ssh(user)
            # max_attempts = 2: the second try is the last, with the help line.
            for note in ("", "Wrong code. Last try. No code? Call the service desk. "):
                child.expect_exact("(%s@127.0.0.1) %sVerification code: " % (user, note))
                child.sendline("123456")
            self.assert_refused(child)

    def delivered_login(self, channel, masked):
        user = self.make_user()
        self.enroll_delivered(user, channel)
        word = "SMS" if channel == "sms" else "email"
        prompt = "Code sent by %s to %s (r = resend): " % (word, masked)
        child = self.ssh(user)
        child.expect_exact(prompt)
        # The person sees where the code went, at the ssh client, in UTF-8.
        self.assertIn("(%s@127.0.0.1) %s" % (user, prompt), child.transcript.getvalue())
        code = self.wait_for_code(channel, 2)
        # A wrong code is refused and said so, with the help line in the
        # prompt of the last try (sshd shows nothing after the last prompt);
        # the code that arrived works.
        child.sendline(cli_sandbox.wrong_code(code))
        child.expect_exact(LAST_TRY + prompt)
        child.sendline(code)
        self.assert_logged_in(child, user)
        # It died when used: the next login sends a new one, the old is refused.
        child = self.ssh(user)
        child.expect_exact(prompt)
        self.wait_for_code(channel, 3)
        child.sendline(code)
        child.expect_exact(LAST_TRY + prompt)
        child.sendline(code)
        self.assert_refused(child)

    def test_sms_login_with_the_code_that_reached_the_gateway(self):
        self.delivered_login("sms", MASKED_NUMBER)

    def test_email_login_with_the_code_that_reached_the_mailbox(self):
        self.delivered_login("email", MASKED_ADDRESS)


class SshdKeyAndCode(LoginTest):
    """AuthenticationMethods publickey,keyboard-interactive: a key and a code."""

    def setUp(self):
        self.user = self.make_user(KEY_USER_PREFIX)
        self.key = self.give_key(self.user)
        self.secret, self.uri, self.step = self.enroll_totp(self.user)

    def test_key_alone_is_not_enough(self):
        child = self.ssh(self.user, key=self.key, methods="publickey")
        transcript = self.assert_refused(child)
        # The key was accepted, and sshd asked for the code next.
        self.assertIn("Permission denied (keyboard-interactive)", transcript)
        self.assertIn("Partial publickey for %s" % self.user, self.world.diagnostics())

    def test_code_alone_is_not_enough(self):
        child = self.ssh(self.user)
        transcript = self.assert_refused(child)
        self.assertIn("Permission denied (publickey)", transcript)
        self.assertNotIn("Verification code", transcript)

    def test_key_and_wrong_code_is_refused(self):
        code, _ = self.next_totp_code(self.secret, self.uri, self.step)
        child = self.ssh(self.user, key=self.key, methods="publickey,keyboard-interactive")
        for _ in range(2):
            child.expect_exact("Verification code: ")
            child.sendline(cli_sandbox.wrong_code(code))
        self.assert_refused(child)

    def test_key_and_code_log_in(self):
        code, _ = self.next_totp_code(self.secret, self.uri, self.step)
        child = self.ssh(self.user, key=self.key, methods="publickey,keyboard-interactive")
        child.expect_exact("Verification code: ")
        child.sendline(code)
        self.assert_logged_in(child, self.user)


class SuLogin(LoginTest):
    """The same module under su (service `su` under pam_wrapper), which asks
    at the terminal it runs in: no terminal trick needed. pam_wrapper prints
    the module's log lines there too."""

    def su(self, user):
        env = self.world.pam_wrapper_env()
        env["TERM"] = "dumb"
        child = pexpect.spawn("su", ["-s", "/bin/sh", "-c", SESSION_COMMAND, user], env=env,
                              encoding="utf-8", timeout=20)
        child.transcript = io.StringIO()
        child.logfile_read = child.transcript
        self.addCleanup(child.close, force=True)
        return child

    def finish_su(self, child):
        """su's exit status and what it showed, without pam_wrapper's
        "PWRAP_DEBUG[name (pid)]" prefixes (a pid could look like a code)."""
        status, transcript = self.finish(child)
        return status, re.sub(r"PWRAP_DEBUG\[[^]]*\] - ", "", transcript)

    def su_user_with_code(self):
        user = self.make_user()
        secret, uri, step = self.enroll_totp(user)
        return user, self.next_totp_code(secret, uri, step)[0]

    def test_su_logs_in_with_the_code(self):
        user, code = self.su_user_with_code()
        child = self.su(user)
        child.expect_exact("Verification code: ")
        child.sendline(code)
        status, transcript = self.finish_su(child)
        self.assertEqual(status, 0, transcript)
        self.assert_session_ran(transcript, user)
        self.assertIn("SYSLOG(6): user %s authenticated with a TOTP code" % user, transcript)
        self.assertNotIn(code, transcript, "the code is neither echoed nor logged")

    def test_su_refuses_a_wrong_code(self):
        user, code = self.su_user_with_code()
        child = self.su(user)
        for _ in range(2):
            child.expect_exact("Verification code: ")
            child.sendline(cli_sandbox.wrong_code(code))
        status, transcript = self.finish_su(child)
        self.assertNotEqual(status, 0, transcript)
        self.assertNotIn("logged-in-ok", transcript)
        self.assertIn("wrong code for user %s (6 digits)" % user, transcript)
        self.assertIn("second factor failed for user %s after 2 attempts" % user, transcript)

    def test_su_refuses_a_replayed_code(self):
        user, code = self.su_user_with_code()
        child = self.su(user)
        child.expect_exact("Verification code: ")
        child.sendline(code)
        self.assertEqual(self.finish_su(child)[0], 0)
        child = self.su(user)
        for _ in range(2):
            child.expect_exact("Verification code: ")
            child.sendline(code)
        status, transcript = self.finish_su(child)
        self.assertNotEqual(status, 0, transcript)
        self.assertNotIn("logged-in-ok", transcript)
        self.assertIn("replayed code for user %s refused" % user, transcript)


def require_tools():
    """Fails when a tool is missing (scripts/install-deps installs them all);
    skips only without root, like the other tiers (cli_sandbox.require)."""
    if not glob.glob(sshd_world.PAM_WRAPPER_GLOB):
        print("missing %s (scripts/install-deps installs it)" % cli_sandbox.PAM_WRAPPER_LIBRARY)
        sys.exit(1)
    cli_sandbox.require(sshd_world.SSHD, sshd_world.USERADD, sshd_world.USERDEL,
                        sshd_world.GROUPDEL, "ssh", "ssh-keygen", "oathtool", "openssl", "su")


def main():
    global OTPGATE, MODULE
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    parser.add_argument("--module", required=True)
    args, rest = parser.parse_known_args()
    OTPGATE, MODULE = os.path.abspath(args.otpgate), os.path.abspath(args.module)
    require_tools()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
