"""Root imports a user's ~/.google_authenticator, made by Debian's real
google-authenticator tool, and the user logs in through the real
pam_otpgate.so with the same app: the next code (from oathtool) works once,
a scratch code works once as a backup code. The code last used with the
real pam_google_authenticator.so stays used. Files otpgate cannot check
(HOTP), unsafe files and an existing enrollment are refused."""

import argparse
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (tests/support: the cli and e2e tiers share it)
import google_authenticator_world as ga  # noqa: E402

OTPGATE = None
MODULE = None
ALICE, BOB = cli_sandbox.USERS["alice"], cli_sandbox.USERS["bob"]


class ImportAsRoot(unittest.TestCase):
    def setUp(self):
        self.sandbox = cli_sandbox.Sandbox(OTPGATE)
        self.addCleanup(self.sandbox.cleanup)
        self.otpgate = ga.otpgate_stack(self.sandbox, MODULE)

    def import_for(self, user, *extra):
        return self.sandbox.run(["import", "google-authenticator", "--user", user] + list(extra))

    def assert_not_enrolled(self, user):
        self.assertFalse(os.path.exists(self.sandbox.enrollment_file(user)))

    def test_the_next_code_and_a_scratch_code_log_in_through_the_module(self):
        path = ga.make_file(self.sandbox, "alice")
        secret, scratch = ga.secret_of(path), ga.scratch_codes_of(path)
        self.assertEqual(len(scratch), 5)
        before = (ga.read_text(path), os.stat(path))

        result = self.import_for("alice")
        out, err = result.stdout.decode(), result.stderr.decode()
        self.assertEqual(result.returncode, 0, err)
        for text in ("Carried over:", "the secret (128 bits), SHA1, 6 digits",
                     "5 scratch codes, as backup codes", "Not carried over:",
                     "RATE_LIMIT 3 logins in 30 seconds", "auth required pam_otpgate.so"):
            self.assertIn(text, out)
        for hidden in [secret] + scratch:
            self.assertNotIn(hidden, out + err)
        self.assertIn("root imported the google-authenticator file " + path, err)
        # The old file stays as it was, for logins until the PAM stack changes.
        self.assertEqual(ga.read_text(path), before[0])
        after = os.stat(path)
        self.assertEqual((after.st_uid, after.st_mode, after.st_mtime),
                         (before[1].st_uid, before[1].st_mode, before[1].st_mtime))
        info = os.stat(self.sandbox.enrollment_file("alice"))
        self.assertEqual((info.st_uid, info.st_mode & 0o777),
                         (self.sandbox.enrollment_owner("alice"), 0o600))

        self.sandbox.advance(30)
        code = ga.code_at(secret, self.sandbox.now)
        rc, output = self.otpgate.log_in("alice", code)
        self.assertEqual(rc, 0, output)
        self.assertNotEqual(self.otpgate.log_in("alice", code)[0], 0, "a replayed code must fail")
        self.assertNotEqual(self.otpgate.log_in("alice", cli_sandbox.wrong_code(code))[0], 0)

        rc, output = self.otpgate.log_in("alice", scratch[2])
        self.assertEqual(rc, 0, output)
        self.assertNotEqual(self.otpgate.log_in("alice", scratch[2])[0], 0,
                            "a spent scratch code must fail")
        self.assertNotEqual(self.otpgate.log_in("alice", scratch[3][:6])[0], 0)
        status = self.sandbox.run(["status", "--user", "alice"])
        self.assertRegex(status.stdout.decode(), r"Backup codes:\s+5 issued, 4 unused")

    def test_the_code_last_used_with_google_authenticator_stays_used(self):
        path = ga.make_file(self.sandbox, "alice")
        secret = ga.secret_of(path)
        code = ga.code_at(secret, self.sandbox.now)
        rc, output = ga.google_authenticator_stack(self.sandbox).log_in("alice", code)
        self.assertEqual(rc, 0, output)
        self.assertRegex(ga.read_text(path), r'" DISALLOW_REUSE \d+\n')

        result = self.import_for("alice")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertIn("the last code used with google-authenticator", result.stdout.decode())
        self.assertNotEqual(self.otpgate.log_in("alice", code)[0], 0,
                            "the code google-authenticator accepted must not log in again")
        self.sandbox.advance(30)
        rc, output = self.otpgate.log_in("alice", ga.code_at(secret, self.sandbox.now))
        self.assertEqual(rc, 0, output)

    def test_step_size_is_kept_and_the_global_window_is_reported(self):
        path = ga.make_file(self.sandbox, "alice", ("--time-based", "--allow-reuse",
                                                    "--no-rate-limit", "--step-size=60",
                                                    "--window-size=17", "--emergency-codes=1"))
        result = self.import_for("alice")
        out = result.stdout.decode()
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertIn("a new code every 60 seconds", out)
        self.assertIn("1 scratch code, as a backup code", out)
        self.assertIn("WINDOW_SIZE 17 (codes from 8 steps before to 8 steps after now): otpgate's "
                      "window is one setting for all users, totp_window = 1", out)
        self.assertIn("no DISALLOW_REUSE", out)
        self.sandbox.advance(60)
        rc, output = self.otpgate.log_in("alice", ga.code_at(ga.secret_of(path),
                                                             self.sandbox.now, period=60))
        self.assertEqual(rc, 0, output)

    def test_counter_based_codes_are_refused(self):
        ga.make_file(self.sandbox, "alice", ("--counter-based", "--no-rate-limit",
                                             "--window-size=3", "--emergency-codes=3"))
        result = self.import_for("alice")
        self.assertEqual(result.returncode, 6)
        err = result.stderr.decode()
        self.assertIn("counter-based codes (HOTP_COUNTER)", err)
        self.assertIn("otpgate enroll totp", err)
        self.assert_not_enrolled("alice")

    def test_unsafe_files_are_refused(self):
        real = ga.make_file(self.sandbox, "alice",
                            path=os.path.join(self.sandbox.home("alice"), "ga-real"))
        link = ga.default_path(self.sandbox, "alice")
        os.symlink(real, link)
        os.lchown(link, ALICE, ALICE)
        result = self.import_for("alice")
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn(b"is a symbolic link", result.stderr)

        os.unlink(link)
        os.rename(real, link)
        os.chmod(link, 0o644)
        result = self.import_for("alice")
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn(b"chmod 600", result.stderr)

        os.chmod(link, 0o400)
        os.chown(link, BOB, BOB)
        result = self.import_for("alice")
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn(b"belongs to uid %d" % BOB, result.stderr)
        self.assert_not_enrolled("alice")

    def test_missing_and_damaged_files(self):
        result = self.import_for("alice")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn(b"does not exist", result.stderr)
        path = ga.make_file(self.sandbox, "alice")
        os.chmod(path, 0o600)
        with open(path, "a", encoding="ascii") as f:
            f.write("1234\n")
        result = self.import_for("alice")
        self.assertEqual(result.returncode, 6, result.stderr)
        self.assertIn(b"neither an option nor an 8-digit scratch code", result.stderr)
        self.assert_not_enrolled("alice")

    def test_replacing_an_enrollment_takes_force_and_spent_codes_stay_spent(self):
        path = ga.make_file(self.sandbox, "alice")
        scratch = ga.scratch_codes_of(path)
        self.assertEqual(self.import_for("alice").returncode, 0)
        rc, output = self.otpgate.log_in("alice", scratch[0])
        self.assertEqual(rc, 0, output)

        result = self.import_for("alice")
        self.assertEqual(result.returncode, 4)
        self.assertIn(b"already enrolled in otpgate (TOTP app since", result.stderr)
        self.assertIn(b"--force", result.stderr)

        result = self.import_for("alice", "--force")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b"1 scratch code that was already spent", result.stdout)
        self.assertIn(b"4 scratch codes, as backup codes", result.stdout)
        self.assertNotEqual(self.otpgate.log_in("alice", scratch[0])[0], 0,
                            "a scratch code spent with otpgate must stay spent")
        rc, output = self.otpgate.log_in("alice", scratch[1])
        self.assertEqual(rc, 0, output)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    parser.add_argument("--module", required=True)
    options, rest = parser.parse_known_args()
    OTPGATE, MODULE = os.path.abspath(options.otpgate), os.path.abspath(options.module)
    cli_sandbox.require("oathtool", "pamtester", "setpriv", ga.GOOGLE_AUTHENTICATOR)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
