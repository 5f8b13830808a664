"""Enrolling without a terminal, the way provisioning scripts do: the script
reads the secret from stdout and pipes the code in (`printf CODE | ...`)."""

import argparse
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (tests/support: the cli and e2e tiers share it)

OTPGATE = None
ENROLL_ALICE = ["enroll", "totp", "--user", "alice", "--qr", "none"]


class Provisioning(unittest.TestCase):
    def setUp(self):
        self.sandbox = cli_sandbox.Sandbox(OTPGATE)
        self.addCleanup(self.sandbox.cleanup)

    def code_for(self, printed):
        return cli_sandbox.totp_code(cli_sandbox.printed_secret(printed), self.sandbox.now,
                                     cli_sandbox.printed_uri(printed))

    def enroll(self):
        # No newline after the code, exactly like printf.
        result = self.sandbox.run_answering(ENROLL_ALICE, self.code_for)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return result

    def test_code_from_a_pipe_enrolls(self):
        result = self.enroll()
        printed = result.stdout.decode()
        self.assertEqual(len(cli_sandbox.printed_backup_codes(printed)), 10)
        self.assertNotIn("\u2588", printed)  # --qr none
        self.assertIn("Enter the 6-digit code from your app: \n", result.stderr.decode())
        info = os.stat(self.sandbox.enrollment_file("alice"))
        self.assertEqual((info.st_uid, info.st_mode & 0o777),
                         (self.sandbox.enrollment_owner("alice"), 0o600))
        # store = local: root's file names alice's uid on its first line.
        self.assertTrue(self.sandbox.read_enrollment("alice").startswith(b"# otpgate enrollment"))
        # Root records the confirming step in the root-only state directory.
        state = os.stat(self.sandbox.state_file("alice"))
        self.assertEqual((state.st_uid, state.st_mode & 0o777), (0, 0o600))
        self.assertEqual(os.stat(self.sandbox.state_dir).st_mode & 0o777, 0o700)

    def test_end_of_input_without_a_code_changes_nothing(self):
        result = self.sandbox.run_answering(ENROLL_ALICE, lambda printed: None)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"otpgate: error: no code given; nothing was changed", result.stderr)
        self.assertFalse(os.path.exists(self.sandbox.enrollment_file("alice")))
        self.assertFalse(os.path.exists(self.sandbox.state_file("alice")))

    def test_three_wrong_codes_keep_the_old_enrollment(self):
        self.enroll()
        path = self.sandbox.enrollment_file("alice")
        with open(path, "rb") as f:
            before = f.read()
        self.sandbox.advance(30)

        def three_wrong(printed):
            wrong = cli_sandbox.wrong_code(self.code_for(printed))
            return "%s\n%s\nnot-a-code\n%s\n" % (wrong, wrong, self.code_for(printed))

        result = self.sandbox.run_answering(ENROLL_ALICE, three_wrong)
        self.assertEqual(result.returncode, 1, result.stderr.decode())
        errors = result.stderr.decode()
        self.assertEqual(errors.count("That code is not valid"), 2, errors)
        self.assertIn("otpgate: error: code not verified; nothing was changed", errors)
        self.assertIn("already enrolled", result.stdout.decode())
        with open(path, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_second_try_succeeds(self):
        def wrong_then_right(printed):
            return cli_sandbox.wrong_code(self.code_for(printed)) + "\n" + self.code_for(printed)

        result = self.sandbox.run_answering(ENROLL_ALICE, wrong_then_right)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertIn(b"That code is not valid. Try again.", result.stderr)

    def test_spaces_and_dashes_in_the_code_are_ignored(self):
        def spaced(printed):
            code = self.code_for(printed)
            return " %s-%s \n" % (code[:3], code[3:])

        result = self.sandbox.run_answering(ENROLL_ALICE, spaced)
        self.assertEqual(result.returncode, 0, result.stderr.decode())

    def test_config_parameters_reach_the_uri(self):
        sandbox = cli_sandbox.Sandbox(OTPGATE, ["totp_algorithm = SHA256", "totp_digits = 8",
                                                "totp_period = 60", "backup_code_count = 4"])
        self.addCleanup(sandbox.cleanup)

        def answer(printed):
            return cli_sandbox.totp_code(cli_sandbox.printed_secret(printed), sandbox.now,
                                         cli_sandbox.printed_uri(printed))

        result = sandbox.run_answering(ENROLL_ALICE, answer)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        printed = result.stdout.decode()
        params = cli_sandbox.uri_parameters(cli_sandbox.printed_uri(printed))
        self.assertEqual((params["algorithm"], params["digits"], params["period"]),
                         ("SHA256", "8", "60"))
        self.assertIn("Enter the 8-digit code from your app: ", result.stderr.decode())
        self.assertEqual(len(cli_sandbox.printed_backup_codes(printed)), 4)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    options, rest = parser.parse_known_args()
    OTPGATE = os.path.abspath(options.otpgate)
    cli_sandbox.require("oathtool")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
