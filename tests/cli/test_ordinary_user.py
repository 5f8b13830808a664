"""An ordinary user manages their own enrollment without root, and cannot
touch anyone else's. Runs otpgate as the throwaway uid with setpriv."""

import argparse
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (tests/support: the cli and e2e tiers share it)

OTPGATE = None
ALICE = cli_sandbox.USERS["alice"]


class OrdinaryUser(unittest.TestCase):
    def setUp(self):
        self.sandbox = cli_sandbox.Sandbox(OTPGATE)
        self.addCleanup(self.sandbox.cleanup)

    def enroll_self(self):
        def answer(printed):
            self.uri = cli_sandbox.printed_uri(printed)
            self.secret = cli_sandbox.printed_secret(printed)
            self.backup_codes = None
            return cli_sandbox.totp_code(self.secret, self.sandbox.now, self.uri) + "\n"

        result = self.sandbox.run_answering(["enroll", "totp", "--qr", "utf8"], answer,
                                            as_uid=ALICE)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.backup_codes = cli_sandbox.printed_backup_codes(result.stdout.decode())
        return result

    def current_code(self):
        return cli_sandbox.totp_code(self.secret, self.sandbox.now, self.uri)

    @cli_sandbox.files_store_only("an ordinary user's own changes go through otpgate-verify in local mode (tests/helper/test_local_store_user.py)")
    def test_enrolls_themselves_with_a_private_file(self):
        result = self.enroll_self()
        self.assertNotIn(b"Enrolling user", result.stdout)  # not on someone's behalf
        self.assertIn(":alice?secret=", self.uri)
        info = os.stat(self.sandbox.enrollment_file("alice"))
        self.assertEqual((info.st_uid, info.st_gid, info.st_mode & 0o777), (ALICE, ALICE, 0o600))
        # The root-owned state store is out of reach and quietly left alone.
        self.assertFalse(os.path.exists(self.sandbox.state_dir))
        self.assertEqual(result.stderr.decode().count("error"), 0, result.stderr.decode())

    def test_may_name_themselves(self):
        result = self.sandbox.run(["status", "--user", "alice"], as_uid=ALICE)
        if cli_sandbox.LOCAL_STORE:
            # Root keeps the enrollment, and no helper is installed here to ask.
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn(b"kept by root", result.stdout)
        else:
            self.assertEqual(result.returncode, 3, result.stderr)

    @cli_sandbox.local_store_only("root keeps the enrollments; without otpgate-verify only "
                                  "root changes them")
    def test_without_the_helper_every_change_is_refused_and_nothing_written(self):
        before = cli_sandbox.tree_listing(self.sandbox.root)
        for args in (["enroll", "totp"], ["disable"], ["backup-codes"],
                     ["import", "google-authenticator"]):
            result = self.sandbox.run(args, as_uid=ALICE, stdin_text="123456\n")
            self.assertEqual(result.returncode, 4, args)
            self.assertIn(b"root keeps the enrollments (store = local)", result.stderr, args)
            self.assertIn(b"--user alice", result.stderr, args)
        # This sandbox configures no sender: refused earlier, and as surely.
        for args in (["enroll", "sms", "+447700900123"], ["enroll", "email", "a@example.org"]):
            result = self.sandbox.run(args, as_uid=ALICE, stdin_text="123456\n")
            self.assertNotEqual(result.returncode, 0, args)
        self.assertEqual(cli_sandbox.tree_listing(self.sandbox.root), before)

    def test_cannot_act_for_another_user(self):
        for args in (["enroll", "totp", "--user", "bob"], ["status", "--user", "bob"],
                     ["disable", "--user", "bob"], ["backup-codes", "--user", "bob"],
                     ["status", "--user", "nosuchuser"]):
            result = self.sandbox.run(args, as_uid=ALICE)
            self.assertEqual(result.returncode, 4, args)
            self.assertEqual(result.stderr,
                             b"otpgate: error: only root can act for another user\n")
        self.assertFalse(os.path.exists(self.sandbox.enrollment_file("bob")))

    @cli_sandbox.files_store_only("an ordinary user's own changes go through otpgate-verify in local mode (tests/helper/test_local_store_user.py)")
    def test_status_without_root(self):
        self.enroll_self()
        result = self.sandbox.run(["status"], as_uid=ALICE)
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout.decode()
        self.assertRegex(out, r"User:\s+alice")
        self.assertRegex(out, r"Method:\s+TOTP \(SHA1, 6 digits")
        self.assertRegex(out, r"Enrolled:\s+2023-11-14 22:13:40 UTC")
        self.assertRegex(out, r"Backup codes:\s+10 issued \(how many are unused is known to root")

    @cli_sandbox.files_store_only("an ordinary user's own changes go through otpgate-verify in local mode (tests/helper/test_local_store_user.py)")
    def test_disable_needs_a_current_code(self):
        self.enroll_self()
        self.sandbox.advance(30)
        wrong = cli_sandbox.wrong_code(self.current_code())
        result = self.sandbox.run(["disable"], as_uid=ALICE, stdin_text="%s\n" % wrong * 3)
        self.assertEqual(result.returncode, 1)
        self.assertTrue(os.path.exists(self.sandbox.enrollment_file("alice")))

        result = self.sandbox.run(["disable"], as_uid=ALICE, stdin_text=self.current_code())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b"Removed the enrollment of user alice", result.stdout)
        self.assertFalse(os.path.exists(self.sandbox.enrollment_file("alice")))

    @cli_sandbox.files_store_only("an ordinary user's own changes go through otpgate-verify in local mode (tests/helper/test_local_store_user.py)")
    def test_disable_with_a_backup_code(self):
        self.enroll_self()
        result = self.sandbox.run(["disable"], as_uid=ALICE,
                                  stdin_text=self.backup_codes[0] + "\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(os.path.exists(self.sandbox.enrollment_file("alice")))

    @cli_sandbox.files_store_only("an ordinary user's own changes go through otpgate-verify in local mode (tests/helper/test_local_store_user.py)")
    def test_new_backup_codes_need_a_code_and_replace_the_old_ones(self):
        self.enroll_self()
        old_codes = self.backup_codes
        path = self.sandbox.enrollment_file("alice")
        with open(path, "rb") as f:
            before = f.read()

        result = self.sandbox.run(["backup-codes"], as_uid=ALICE, stdin_text="")
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"no code given; nothing was changed", result.stderr)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), before)

        result = self.sandbox.run(["backup-codes"], as_uid=ALICE, stdin_text=self.current_code())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b"a backup code: \n", result.stderr)
        new_codes = cli_sandbox.printed_backup_codes(result.stdout.decode())
        self.assertEqual(len(new_codes), 10)
        self.assertFalse(set(new_codes) & set(old_codes))
        info = os.stat(path)
        self.assertEqual((info.st_uid, info.st_mode & 0o777), (ALICE, 0o600))

        # Old backup codes are gone, new ones work, the secret is unchanged.
        result = self.sandbox.run(["disable"], as_uid=ALICE, stdin_text=old_codes[1] + "\n" * 3)
        self.assertEqual(result.returncode, 1)
        result = self.sandbox.run(["disable"], as_uid=ALICE, stdin_text=new_codes[1])
        self.assertEqual(result.returncode, 0, result.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    options, rest = parser.parse_known_args()
    OTPGATE = os.path.abspath(options.otpgate)
    cli_sandbox.require("oathtool", "setpriv")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
