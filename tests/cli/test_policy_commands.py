"""The root commands of access policies, with logins through the real
pam_otpgate.so (pamtester under pam_wrapper, nss_wrapper users, libfaketime):

- `otpgate status --user NAME` shows the last success and the lockout;
- after five wrong codes a correct one is refused until root runs
  `otpgate unlock --user NAME` (the issue's acceptance, second half);
- root's own `otpgate disable` (a code of root's own TOTP) obeys the lockout
  like a login;
- `otpgate forget-hosts --user NAME` makes a remembered host ask again;
- `otpgate list` and `otpgate list --json` show every enrolled user;
- only root may list, unlock or forget hosts.
"""

import argparse
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (tests/support: the cli and e2e tiers share it)

OTPGATE = None
MODULE = None
SERVICE = "otpgate-policy-cli"


class PolicyCommands(unittest.TestCase):
    def setUp(self):
        self.sandbox = cli_sandbox.Sandbox(OTPGATE, ["sms_allowed_countries = 44"])
        self.addCleanup(self.sandbox.cleanup)
        self.service_dir = self.sandbox.pam_services({SERVICE: self.sandbox.module_line(MODULE)})

    # --- helpers -------------------------------------------------------------

    def enroll_totp(self, user):
        secret, uri, _ = self.sandbox.enroll_totp_as_root(user)
        return secret, uri

    def code(self, secret, uri):
        return cli_sandbox.totp_code(secret, self.sandbox.now, uri)

    def log_in(self, user, code, rhost=None, asked=True):
        """pamtester's exit status: 0 when the module let the user in."""
        env = self.sandbox.env(extra_preload=[cli_sandbox.PAM_WRAPPER_LIBRARY])
        env.update({"PAM_WRAPPER": "1", "PAM_WRAPPER_SERVICE_DIR": self.service_dir})
        items = ["-I", "rhost=" + rhost] if rhost else []
        result = subprocess.run(["pamtester", "-v"] + items + [SERVICE, user, "authenticate"],
                                env=env, input=(code + "\n").encode(), capture_output=True,
                                timeout=30)
        output = result.stdout.decode() + result.stderr.decode()
        # Asked: our stack, not /etc/pam.d. Not asked: a remembered host.
        self.assertEqual("Verification code: " in output, asked, output)
        return result.returncode

    def lock(self, user, secret, uri):
        wrong = cli_sandbox.wrong_code(self.code(secret, uri))
        for _ in range(5):  # max_attempts = 1 in the sandbox: one code per login
            self.assertNotEqual(self.log_in(user, wrong), 0)

    def status(self, user):
        result = self.sandbox.run(["status", "--user", user])
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.decode()

    # --- status and unlock ---------------------------------------------------

    def test_status_shows_last_success_and_lockout(self):
        secret, uri = self.enroll_totp("alice")
        self.assertRegex(self.status("alice"), r"Last success: +never\n")
        self.assertRegex(self.status("alice"), r"Lockout: +not locked\n")

        self.assertEqual(self.log_in("alice", self.code(secret, uri)), 0)
        success_time = self.sandbox.now
        shown = self.status("alice")
        self.assertIn("Last success:     2023-11-14 22:14:10 UTC\n", shown)
        self.assertEqual(success_time, 1700000050)

        self.sandbox.advance(30)
        wrong = cli_sandbox.wrong_code(self.code(secret, uri))
        self.assertNotEqual(self.log_in("alice", wrong), 0)
        self.assertNotEqual(self.log_in("alice", wrong), 0)
        self.assertIn("Lockout:          not locked (2 wrong codes in the last 300 s; 5 lock it)\n",
                      self.status("alice"))
        for _ in range(3):
            self.assertNotEqual(self.log_in("alice", wrong), 0)
        self.assertRegex(self.status("alice"),
                         r"Lockout: +LOCKED for 900 s more \(until 2023-11-14 22:29:40 UTC\) "
                         r"after repeated wrong codes; `otpgate unlock --user alice` lifts it\n")

    def test_a_correct_code_is_refused_until_root_unlocks(self):
        secret, uri = self.enroll_totp("alice")
        self.lock("alice", secret, uri)
        self.sandbox.advance(30)
        code = self.code(secret, uri)
        self.assertNotEqual(self.log_in("alice", code), 0, "locked: even the right code fails")

        result = self.sandbox.run(["unlock", "--user", "alice"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b"Unlocked user alice (the lock had 870 s left).", result.stdout)
        self.assertIn(b"lockout of user alice lifted by root", result.stderr)
        self.assertRegex(self.status("alice"), r"Lockout: +not locked\n")

        # The code refused during the lock was never checked, so never spent.
        self.assertEqual(self.log_in("alice", code), 0)

    def test_the_lock_also_ends_by_itself(self):
        secret, uri = self.enroll_totp("alice")
        self.lock("alice", secret, uri)
        self.sandbox.advance(900)
        self.assertEqual(self.log_in("alice", self.code(secret, uri)), 0)

    def test_unlock_needs_root_and_a_named_user(self):
        self.enroll_totp("alice")
        alice = cli_sandbox.USERS["alice"]
        as_alice = self.sandbox.run(["unlock", "--user", "alice"], as_uid=alice)
        self.assertEqual(as_alice.returncode, 4, as_alice.stderr)
        self.assertIn(b"only root can unlock a user", as_alice.stderr)
        no_user = self.sandbox.run(["unlock"])
        self.assertEqual(no_user.returncode, 2, no_user.stderr)
        self.assertIn(b"--user NAME is required", no_user.stderr)
        never = self.sandbox.run(["unlock", "--user", "bob"])
        self.assertEqual(never.returncode, 0, never.stderr)
        self.assertIn(b"User bob has no login state: nothing to unlock.", never.stdout)
        self.assertFalse(os.path.exists(self.sandbox.state_file("bob")))

    def test_root_confirming_its_own_code_obeys_the_lockout(self):
        # Root without --user proves possession like any user; with the
        # state at hand, that proof is a login: no way around the lock.
        result = self.sandbox.run_answering(["enroll", "totp", "--qr", "none"], lambda printed:
                                            cli_sandbox.totp_code(
                                                cli_sandbox.printed_secret(printed),
                                                self.sandbox.now,
                                                cli_sandbox.printed_uri(printed)) + "\n")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        printed = result.stdout.decode()
        secret, uri = cli_sandbox.printed_secret(printed), cli_sandbox.printed_uri(printed)
        self.sandbox.advance(30)
        wrong = cli_sandbox.wrong_code(self.code(secret, uri))
        # Wrong codes typed to the CLI count toward the lock as at a login.
        result = self.sandbox.run(["disable"], stdin_text=(wrong + "\n") * 3)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(b"wrong code for user root", result.stderr)
        self.assertNotEqual(self.log_in("root", wrong), 0)
        self.assertNotEqual(self.log_in("root", wrong), 0)
        self.assertRegex(self.status("root"), r"Lockout: +LOCKED for 900 s more")

        result = self.sandbox.run(["disable"], stdin_text=self.code(secret, uri) + "\n")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(b"the second factor of user root is locked for 900 s more", result.stderr)
        self.assertTrue(os.path.exists(self.sandbox.enrollment_file("root")))

        self.assertEqual(self.sandbox.run(["unlock", "--user", "root"]).returncode, 0)
        result = self.sandbox.run(["disable"], stdin_text=self.code(secret, uri) + "\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(os.path.exists(self.sandbox.enrollment_file("root")))

    def test_forget_hosts_makes_a_remembered_host_ask_again(self):
        with open(self.sandbox.config, "a", encoding="utf-8") as config:
            config.write("remember_host = 3600\n")
        secret, uri = self.enroll_totp("alice")
        laptop = "198.51.100.7"
        self.assertEqual(self.log_in("alice", self.code(secret, uri), rhost=laptop), 0)
        self.sandbox.advance(30)
        # Not asked: the module steps aside (PAM_IGNORE, checked at PAM level
        # in remember_host_test.cpp), which this one-module stack refuses.
        self.log_in("alice", "", rhost=laptop, asked=False)
        self.assertRegex(self.status("alice"), r"Remembered hosts: +1 \(skipped for 3600 s")

        result = self.sandbox.run(["forget-hosts", "--user", "alice"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b"Forgot 1 remembered host of user alice: every host asks for a code again.",
                      result.stdout)
        self.assertIn(b"1 remembered host of user alice forgotten by root", result.stderr)
        self.assertRegex(self.status("alice"), r"Remembered hosts: +0 ")
        self.assertNotEqual(self.log_in("alice", "", rhost=laptop), 0)
        again = self.sandbox.run(["forget-hosts", "--user", "alice"])
        self.assertIn(b"User alice has no remembered host: nothing to forget.", again.stdout)

        as_alice = self.sandbox.run(["forget-hosts", "--user", "alice"],
                                    as_uid=cli_sandbox.USERS["alice"])
        self.assertEqual(as_alice.returncode, 4, as_alice.stderr)
        self.assertIn(b"only root can forget a user's remembered hosts", as_alice.stderr)
        no_user = self.sandbox.run(["forget-hosts"])
        self.assertEqual(no_user.returncode, 2, no_user.stderr)
        self.assertIn(b"--user NAME is required", no_user.stderr)

    # --- list ------------------------------------------------------------------

    def enroll_sms_verified(self, user, number):
        result = self.sandbox.run(["enroll", "sms", number, "--user", user, "--verified"],
                                  stdin_text="")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_list_shows_every_enrolled_user(self):
        self.assertIn(b"No user is enrolled.", self.sandbox.run(["list"]).stdout)
        secret, uri = self.enroll_totp("alice")
        self.enroll_sms_verified("bob", "+44 7700 900123")
        self.assertEqual(self.log_in("alice", self.code(secret, uri)), 0)

        result = self.sandbox.run(["list"])
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.decode().splitlines()
        self.assertEqual(lines[0].split(), ["USER", "METHOD", "DESTINATION", "LAST", "SUCCESS",
                                            "LOCKOUT"])
        self.assertEqual(len(lines), 3, lines)
        self.assertRegex(lines[1], r"^alice +totp +- +2023-11-14 22:14:10 UTC +no$")
        self.assertRegex(lines[2], r"^bob +sms +\+44•+123 +never +no$")
        self.assertNotIn("900123", result.stdout.decode())  # masked

    def test_list_json_for_scripts(self):
        secret, uri = self.enroll_totp("alice")
        self.enroll_sms_verified("bob", "+44 7700 900123")
        self.lock("alice", secret, uri)
        result = self.sandbox.run(["list", "--json"])
        self.assertEqual(result.returncode, 0, result.stderr)
        users = {entry["user"]: entry for entry in json.loads(result.stdout)["users"]}
        self.assertEqual(sorted(users), ["alice", "bob"])
        alice = users["alice"]
        self.assertEqual((alice["method"], alice["destination"]), ("totp", None))
        self.assertIsNone(alice["last_success"])
        self.assertTrue(alice["locked"])
        self.assertEqual(alice["locked_until"], self.sandbox.now + 900)
        self.assertEqual(alice["recent_failures"], 0)
        self.assertIsNone(alice["error"])
        bob = users["bob"]
        self.assertEqual(bob["method"], "sms")
        self.assertTrue(bob["destination"].startswith("+44"))
        self.assertFalse(bob["locked"])

    def test_list_reports_an_unreadable_enrollment(self):
        self.enroll_totp("alice")
        os.chmod(self.sandbox.enrollment_file("alice"), 0o644)
        result = self.sandbox.run(["list", "--json"])
        self.assertEqual(result.returncode, 0, result.stderr)
        alice = json.loads(result.stdout)["users"][0]
        self.assertEqual(alice["user"], "alice")
        self.assertIsNone(alice["method"])
        self.assertIn("permissions", alice["error"])

    def test_list_needs_root(self):
        result = self.sandbox.run(["list"], as_uid=cli_sandbox.USERS["alice"])
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn(b"only root can list users", result.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    parser.add_argument("--module", required=True)
    options, rest = parser.parse_known_args()
    OTPGATE = os.path.abspath(options.otpgate)
    MODULE = os.path.abspath(options.module)
    cli_sandbox.require("oathtool", "pamtester", "setpriv")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
