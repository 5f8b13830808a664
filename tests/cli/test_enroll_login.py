"""The whole journey at a real terminal: enroll with the QR code, then log in
through the real pam_otpgate.so.

`otpgate enroll totp --user alice` runs in a pty (pexpect). The QR code it
draws is turned back into pixels and decoded with zbarimg; the code typed at
the prompt comes from oathtool. Then pamtester, under pam_wrapper and
nss_wrapper, logs alice in with the module: a code of the next time step
works once, its replay and a wrong code are refused, and so is the code that
confirmed the enrollment. The clock is pinned with libfaketime and stepped,
never waited for.
"""

import argparse
import json
import os
import subprocess
import sys
import unittest

import pexpect

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (tests/support: the cli and e2e tiers share it)
import qr_decode  # noqa: E402

OTPGATE = None
MODULE = None
SERVICE = "otpgate-cli-test"


class EnrollThenLogIn(unittest.TestCase):
    def setUp(self):
        self.sandbox = cli_sandbox.Sandbox(OTPGATE)
        self.addCleanup(self.sandbox.cleanup)
        self.service_dir = self.sandbox.pam_services({SERVICE: self.sandbox.module_line(MODULE)})

    def log_in(self, user, code):
        """pamtester's exit code: 0 when the module let the user in."""
        status, output = self.sandbox.pamtester(self.service_dir, SERVICE, user, code)
        # The module's own prompt: proof that pam_wrapper ran our stack, not /etc/pam.d.
        self.assertIn("Verification code: ", output)
        return status, output

    def enroll_at_terminal(self, user):
        env = self.sandbox.env()
        env["TERM"] = "xterm-256color"
        child = pexpect.spawn(OTPGATE, ["--config", self.sandbox.config, "enroll", "totp",
                                        "--user", user],
                              env=env, dimensions=(80, 200), encoding="utf-8", timeout=20)
        self.addCleanup(child.close, force=True)
        child.expect_exact("Enter the 6-digit code from your app: ")
        shown = child.before.replace("\r", "")
        secret = cli_sandbox.printed_secret(shown)
        uri = cli_sandbox.printed_uri(shown)
        code = cli_sandbox.totp_code(secret, self.sandbox.now, uri)
        child.sendline(code)
        child.expect(pexpect.EOF)
        rest = child.before.replace("\r", "")
        child.close()
        self.assertEqual(child.exitstatus, 0, shown + rest)
        self.assertNotIn(code, rest, "the typed code must not be echoed")
        return shown, rest, secret, uri, code

    def test_enroll_at_terminal_then_log_in_with_the_module(self):
        shown, rest, secret, uri, confirming_code = self.enroll_at_terminal("alice")

        # At a terminal the default style is ansi: colours around half blocks.
        self.assertIn("\x1b[30;107m", shown)
        self.assertEqual(qr_decode.decode(shown, self.sandbox.root), uri)
        self.assertEqual(cli_sandbox.uri_parameters(uri)["secret"], secret.replace(" ", ""))
        self.assertRegex(secret, r"^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$")

        backup_codes = cli_sandbox.printed_backup_codes(rest)
        self.assertEqual(len(backup_codes), 10, rest)
        self.assertIn("shown\nonly once", rest)
        enrollment = os.stat(self.sandbox.enrollment_file("alice"))
        self.assertEqual((enrollment.st_uid, enrollment.st_mode & 0o777),
                         (self.sandbox.enrollment_owner("alice"), 0o600))

        # The code that confirmed the enrollment was recorded: no login with it.
        self.assertNotEqual(self.log_in("alice", confirming_code)[0], 0)

        self.sandbox.advance(30)
        next_code = cli_sandbox.totp_code(secret, self.sandbox.now, uri)
        rc, output = self.log_in("alice", next_code)
        self.assertEqual(rc, 0, output)
        self.assertNotEqual(self.log_in("alice", next_code)[0], 0, "a replayed code must fail")
        self.assertNotEqual(self.log_in("alice", cli_sandbox.wrong_code(next_code))[0], 0)

        rc, output = self.log_in("alice", backup_codes[3])
        self.assertEqual(rc, 0, output)
        self.assertNotEqual(self.log_in("alice", backup_codes[3])[0], 0,
                            "a spent backup code must fail")

        status = self.sandbox.run(["status", "--user", "alice"])
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertRegex(status.stdout.decode(), r"Backup codes:\s+10 issued, 9 unused")

    def test_re_enrolling_keeps_the_old_secret_until_confirmed(self):
        _, _, secret, uri, _ = self.enroll_at_terminal("alice")
        env = self.sandbox.env()
        env["TERM"] = "xterm-256color"
        child = pexpect.spawn(OTPGATE, ["--config", self.sandbox.config, "enroll", "totp",
                                        "--user", "alice"],
                              env=env, dimensions=(80, 200), encoding="utf-8", timeout=20)
        self.addCleanup(child.close, force=True)
        child.expect_exact("already enrolled")
        child.expect_exact("Enter the 6-digit code from your app: ")
        child.sendeof()  # Ctrl-D: give up
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 1)
        self.assertIn("no code given; nothing was changed", child.before)

        self.sandbox.advance(30)
        rc, output = self.log_in("alice", cli_sandbox.totp_code(secret, self.sandbox.now, uri))
        self.assertEqual(rc, 0, output)

    def test_ctrl_c_at_the_prompt_restores_echo(self):
        env = self.sandbox.env()
        env["TERM"] = "dumb"  # auto then draws utf8, without colours
        # The shell survives the Ctrl-C (a trap, which children do not inherit)
        # to show what the terminal was left like.
        script = 'trap : INT; "$@"; echo "exit=$?"; stty -a'
        child = pexpect.spawn("/bin/sh", ["-c", script, "sh", OTPGATE, "--config",
                                          self.sandbox.config, "enroll", "totp", "--user",
                                          "alice"],
                              env=env, dimensions=(80, 200), encoding="utf-8", timeout=20)
        self.addCleanup(child.close, force=True)
        child.expect_exact("Enter the 6-digit code from your app: ")
        self.assertNotIn("\x1b[", child.before)
        child.sendintr()
        child.expect(r"exit=(\d+)")
        self.assertNotEqual(child.match.group(1), "0")
        child.expect(pexpect.EOF)
        self.assertRegex(child.before, r"(^|\s)echo(\s|;|$)", "echo is still off")
        self.assertFalse(os.path.exists(self.sandbox.enrollment_file("alice")))

    def test_root_enrolling_a_destination_is_told_where_the_code_went(self):
        # Root's own path (in-process, no otpgate-verify) names the masked
        # destination in the prompt, as a user's path through the helper
        # does: the line announcing the send may be long gone by then.
        outbox = os.path.join(self.sandbox.root, "outbox")
        with open(self.sandbox.config, "a", encoding="utf-8") as config:
            config.write("send_cooldown = 0\nsms_backend = file\nsms_outbox = %s\n"
                         "sms_allowed_countries = 44\n"
                         "email_backend = file\nemail_outbox = %s\n" % (outbox, outbox))
        journeys = ((["enroll", "sms", "+447700900123"], "+44•••••••123"),
                    (["enroll", "email", "alice@example.net"], "a•••@example.net"))
        for sent, (args, masked) in enumerate(journeys, start=1):
            with self.subTest(args[1]):
                child = pexpect.spawn(OTPGATE, ["--config", self.sandbox.config] + args +
                                      ["--user", "alice"],
                                      env=self.sandbox.env(), dimensions=(80, 200),
                                      encoding="utf-8", timeout=20)
                self.addCleanup(child.close, force=True)
                child.expect_exact("Enter the code sent to %s: " % masked)
                with open(outbox, encoding="utf-8") as f:
                    messages = [json.loads(line) for line in f if line.strip()]
                self.assertEqual(len(messages), sent)
                self.assertEqual(messages[-1]["kind"], "verification_code")
                child.sendline(messages[-1]["code"])
                child.expect(pexpect.EOF)
                child.close()
                self.assertEqual(child.exitstatus, 0, child.before)
                self.assertIn("now the second factor of user alice", child.before)


class Linking(unittest.TestCase):
    @staticmethod
    def needed(path):
        dynamic = subprocess.run(["readelf", "-d", path], capture_output=True, text=True,
                                 check=True).stdout
        return [line for line in dynamic.splitlines() if "(NEEDED)" in line]

    def test_only_the_command_links_libqrencode(self):
        self.assertTrue(any("libqrencode" in line for line in self.needed(OTPGATE)))
        self.assertFalse(any("libqrencode" in line for line in self.needed(MODULE)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    parser.add_argument("--module", required=True)
    options, rest = parser.parse_known_args()
    OTPGATE, MODULE = os.path.abspath(options.otpgate), os.path.abspath(options.module)
    cli_sandbox.require("oathtool", "zbarimg", "pamtester", "readelf")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
