"""An ordinary user imports their own ~/.google_authenticator (made by
Debian's real google-authenticator tool) with their own rights, and cannot
import anyone else's. Runs otpgate as the throwaway uid with setpriv; the
login afterwards goes through the real pam_otpgate.so."""

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
IMPORT = ["import", "google-authenticator"]


class ImportAsOrdinaryUser(unittest.TestCase):
    def setUp(self):
        self.sandbox = cli_sandbox.Sandbox(OTPGATE)
        self.addCleanup(self.sandbox.cleanup)

    @cli_sandbox.files_store_only("an ordinary user's own changes go through otpgate-verify in local mode (tests/helper/test_local_store_user.py)")
    def test_imports_their_own_file_and_logs_in_with_the_same_app(self):
        path = ga.make_file(self.sandbox, "alice")
        result = self.sandbox.run(IMPORT, as_uid=ALICE)
        out, err = result.stdout.decode(), result.stderr.decode()
        self.assertEqual(result.returncode, 0, err)
        self.assertIn("Imported %s for user alice" % path, out)
        self.assertIn("ask your administrator", out)
        self.assertNotIn(ga.secret_of(path), out + err)
        self.assertIn("user alice imported the google-authenticator file", err)
        info = os.stat(self.sandbox.enrollment_file("alice"))
        self.assertEqual((info.st_uid, info.st_gid, info.st_mode & 0o777), (ALICE, ALICE, 0o600))
        # The root-owned state store is out of reach and quietly left alone.
        self.assertFalse(os.path.exists(self.sandbox.state_dir))

        status = self.sandbox.run(["status"], as_uid=ALICE)
        self.assertRegex(status.stdout.decode(), r"Method:\s+TOTP \(SHA1, 6 digits")
        self.assertRegex(status.stdout.decode(), r"Backup codes:\s+5 issued")

        self.sandbox.advance(30)
        rc, output = ga.otpgate_stack(self.sandbox, MODULE).log_in(
            "alice", ga.code_at(ga.secret_of(path), self.sandbox.now))
        self.assertEqual(rc, 0, output)

    @cli_sandbox.files_store_only("an ordinary user's own changes go through otpgate-verify in local mode (tests/helper/test_local_store_user.py)")
    def test_cannot_import_someone_elses_file(self):
        bobs = ga.make_file(self.sandbox, "bob")
        result = self.sandbox.run(IMPORT + [bobs], as_uid=ALICE)
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn(b"belongs to uid %d, not to the user (uid %d)" % (BOB, ALICE), result.stderr)

        # Nor through a link in their own home.
        link = ga.default_path(self.sandbox, "alice")
        os.symlink(bobs, link)
        os.lchown(link, ALICE, ALICE)
        result = self.sandbox.run(IMPORT, as_uid=ALICE)
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn(b"is a symbolic link", result.stderr)

        result = self.sandbox.run(IMPORT + ["--user", "bob"], as_uid=ALICE)
        self.assertEqual(result.returncode, 4)
        self.assertEqual(result.stderr, b"otpgate: error: only root can act for another user\n")
        for user in ("alice", "bob"):
            self.assertFalse(os.path.exists(self.sandbox.enrollment_file(user)))

    @cli_sandbox.files_store_only("an ordinary user's own changes go through otpgate-verify in local mode (tests/helper/test_local_store_user.py)")
    def test_replacing_their_enrollment_takes_force_and_a_current_code(self):
        path = ga.make_file(self.sandbox, "alice")
        self.assertEqual(self.sandbox.run(IMPORT, as_uid=ALICE).returncode, 0)
        enrollment = self.sandbox.enrollment_file("alice")
        with open(enrollment, "rb") as f:
            before = f.read()

        result = self.sandbox.run(IMPORT, as_uid=ALICE)
        self.assertEqual(result.returncode, 4)
        self.assertIn(b"run again with --force (a current code is asked)", result.stderr)

        result = self.sandbox.run(IMPORT + ["--force"], as_uid=ALICE, stdin_text="")
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"no code given; nothing was changed", result.stderr)
        with open(enrollment, "rb") as f:
            self.assertEqual(f.read(), before)

        self.sandbox.advance(30)
        code = ga.code_at(ga.secret_of(path), self.sandbox.now)
        result = self.sandbox.run(IMPORT + ["--force"], as_uid=ALICE, stdin_text=code + "\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b"With --force, the import replaces it.", result.stdout)
        with open(enrollment, "rb") as f:
            self.assertNotEqual(f.read(), before)  # a new id and salt


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    parser.add_argument("--module", required=True)
    options, rest = parser.parse_known_args()
    OTPGATE, MODULE = os.path.abspath(options.otpgate), os.path.abspath(options.module)
    cli_sandbox.require("oathtool", "pamtester", "setpriv", ga.GOOGLE_AUTHENTICATOR)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
