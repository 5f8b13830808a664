"""status, disable and backup-codes as root, and the command line itself:
--help, --version, usage errors, configuration errors and exit codes."""

import argparse
import hashlib
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (tests/support: the cli and e2e tiers share it)

OTPGATE = None


class Commands(unittest.TestCase):
    def setUp(self):
        self.sandbox = cli_sandbox.Sandbox(OTPGATE)
        self.addCleanup(self.sandbox.cleanup)

    def enroll(self, user_args):
        def answer(printed):
            self.secret = cli_sandbox.printed_secret(printed)
            self.uri = cli_sandbox.printed_uri(printed)
            return cli_sandbox.totp_code(self.secret, self.sandbox.now, self.uri)

        result = self.sandbox.run_answering(["enroll", "totp", "--qr", "none"] + user_args, answer)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.backup_codes = cli_sandbox.printed_backup_codes(result.stdout.decode())
        return result

    def current_code(self):
        return cli_sandbox.totp_code(self.secret, self.sandbox.now, self.uri)

    def assert_fails(self, args, exit_code, message, stdin_text=None, config=True):
        """The command fails with `exit_code`, and its last line on stderr
        (after any prompts) is the error, mentioning `message`."""
        result = self.sandbox.run(args, stdin_text=stdin_text, config=config)
        self.assertEqual(result.returncode, exit_code, result)
        last_line = result.stderr.decode().rstrip("\n").split("\n")[-1]
        self.assertTrue(last_line.startswith("otpgate: error: "), result.stderr.decode())
        self.assertIn(message, last_line)
        return result

    # --- the command line ---------------------------------------------------

    def test_help_lists_commands_and_exit_codes(self):
        result = self.sandbox.run(["--help"])
        self.assertEqual(result.returncode, 0)
        out = result.stdout.decode()
        for word in ("enroll", "status", "disable", "backup-codes", "--config", "--version"):
            self.assertIn(word, out)
        self.assertIn("Exit status:", out)
        for code in ("0", "1", "2", "3", "4", "5", "6", "70"):
            self.assertRegex(out, r"\n  %s +\w" % code)

    def test_every_command_has_help(self):
        for args, expected in ((["enroll", "--help"], "totp"),
                               (["enroll", "totp", "--help"], "--qr"),
                               (["status", "--help"], "--user"),
                               (["disable", "--help"], "--user"),
                               (["backup-codes", "--help"], "--user")):
            result = self.sandbox.run(args)
            self.assertEqual(result.returncode, 0, args)
            self.assertIn(expected, result.stdout.decode(), args)
        self.assertIn("auto,ansi,utf8,utf8i,ascii,none",
                      self.sandbox.run(["enroll", "totp", "--help"]).stdout.decode())

    def test_version(self):
        result = self.sandbox.run(["--version"])
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout.decode(), r"^otpgate \d+\.\d+\.\d+\n$")

    def test_usage_errors_exit_2(self):
        for args in (["--bogus", "status"], ["status", "--bogus"], [], ["enroll"], ["frobnicate"],
                     ["enroll", "totp", "--qr", "sixel"], ["status", "--user"],
                     ["status", "--user", "../etc"], ["status", "--user", "nosuchuser"]):
            result = self.sandbox.run(args)
            self.assertEqual(result.returncode, 2, args)
            self.assertEqual(result.stderr.decode().count("\n"), 1, result.stderr)
            self.assertTrue(result.stderr.startswith(b"otpgate: error: "), result.stderr)
        self.assert_fails(["enroll", "totp", "--user", "alice", "--issuer", ""], 2, "--issuer")

    def test_configuration_errors_exit_5(self):
        self.assert_fails(["--config", "/nonexistent/otpgate.conf", "status"], 5,
                          "does not exist", config=False)
        bad = os.path.join(self.sandbox.root, "bad.conf")
        cli_sandbox.Sandbox.write_file(bad, "totp_digits = 5\n", 0o644)
        result = self.assert_fails(["--config", bad, "status"], 5, "has errors", config=False)
        self.assertIn("bad.conf:1: bad value for totp_digits", result.stderr.decode())
        writable = os.path.join(self.sandbox.root, "writable.conf")
        cli_sandbox.Sandbox.write_file(writable, "debug = no\n", 0o666)
        self.assert_fails(["--config", writable, "status"], 5, "unsafe permissions", config=False)
        # The config option may also follow the command.
        result = self.sandbox.run(["status", "--config", bad], config=False)
        self.assertEqual(result.returncode, 5, result)

    # --- not enrolled, refused files -----------------------------------------

    def test_not_enrolled_exits_3(self):
        result = self.sandbox.run(["status", "--user", "alice"])
        self.assertEqual(result.returncode, 3)
        self.assertIn(b"User alice is not enrolled.", result.stdout)
        self.assert_fails(["backup-codes", "--user", "alice"], 3, "user alice is not enrolled")
        self.assert_fails(["disable", "--user", "alice"], 3, "user alice is not enrolled")
        self.assert_fails(["disable"], 3, "user root is not enrolled", stdin_text="123456\n")

    def test_refused_enrollment_file_exits_4(self):
        self.enroll(["--user", "alice"])
        path = self.sandbox.enrollment_file("alice")
        os.rename(path, path + ".real")
        os.symlink(path + ".real", path)
        self.assert_fails(["status", "--user", "alice"], 4, "symbolic link")
        self.assert_fails(["enroll", "totp", "--user", "alice"], 4, "symbolic link")
        os.unlink(path)
        os.rename(path + ".real", path)
        os.chmod(path, 0o644)
        self.assert_fails(["status", "--user", "alice"], 4, "unsafe permissions")

    def test_corrupt_enrollment_is_a_storage_error(self):
        self.sandbox.plant_enrollment("alice", b"version = 99\n")
        self.assert_fails(["status", "--user", "alice"], 6, "enrollment of user alice")

    def test_escape_sequences_in_a_users_file_never_reach_roots_terminal(self):
        # alice owns her enrollment file and can write anything into it (with
        # store = local, root's file holds what she once had enrolled). Its
        # parse error quotes her bad line; root reads that error in `status`
        # and `list`, where her terminal codes (a title change, a screen
        # clear, a cursor move, a carriage return, an 8-bit CSI, a bidi
        # override) must arrive as visible escapes, on one line.
        hostile_key = (b"\x1b]0;pwned\x07\x1b[2J\x1b[1;1Hev\ril\xc2\x9b[31m"
                       + "\u202e".encode() + b"x")
        body = b"version = 1\nmethod = totp\n" + hostile_key + b" = 1\n"
        text = body + b"checksum = " + hashlib.sha256(body).hexdigest().encode() + b"\n"
        self.sandbox.plant_enrollment("alice", text)
        shown = r"unknown key '\x1b]0;pwned\x07\x1b[2J\x1b[1;1Hev\ril\xc2\x9b[31m\xe2\x80\xaex'"
        raw = (b"\x1b", b"\r", b"\x07", b"\x9b", "\u202e".encode())

        status = self.sandbox.run(["status", "--user", "alice"])
        self.assertEqual(status.returncode, 6, status)
        for output in (status.stdout, status.stderr):
            for byte in raw:
                self.assertNotIn(byte, output, status)
        self.assertEqual(status.stderr.count(b"\n"), 1, status.stderr)
        self.assertTrue(status.stderr.startswith(b"otpgate: error: "), status.stderr)
        self.assertIn("line 3: " + shown, status.stderr.decode())

        listed = self.sandbox.run(["list"])
        self.assertEqual(listed.returncode, 0, listed)
        for output in (listed.stdout, listed.stderr):
            for byte in raw:
                self.assertNotIn(byte, output, listed)
        lines = listed.stdout.decode().splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertRegex(lines[1], r"^alice +unreadable: ")
        self.assertIn(shown, lines[1])

        # Scripts get valid JSON that holds the same text, no raw byte either.
        as_json = self.sandbox.run(["list", "--json"])
        self.assertEqual(as_json.returncode, 0, as_json)
        for byte in raw:
            self.assertNotIn(byte, as_json.stdout, as_json)
        alice = json.loads(as_json.stdout)["users"][0]
        self.assertIn("unknown key '\x1b]0;pwned\x07\x1b[2J", alice["error"])

    # --- status, disable, backup-codes as root -------------------------------

    def test_status_as_root_shows_the_login_state(self):
        self.enroll(["--user", "alice"])
        result = self.sandbox.run(["status", "--user", "alice"])
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout.decode()
        self.assertRegex(out, r"User:\s+alice\n")
        self.assertRegex(out, r"Method:\s+TOTP \(SHA1, 6 digits, new code every 30 seconds\)")
        self.assertRegex(out, r"Enrolled:\s+2023-11-14 22:13:40 UTC")
        self.assertRegex(out, r"Backup codes:\s+10 issued, 10 unused")
        # The confirming code's step (22:13:30 to 22:13:59) is on record.
        self.assertRegex(out, r"Last TOTP step:\s+2023-11-14 22:13:30 UTC")

    def test_status_never_creates_a_state_file(self):
        self.enroll(["--user", "alice"])
        os.unlink(self.sandbox.state_file("alice"))
        result = self.sandbox.run(["status", "--user", "alice"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout.decode(), r"Last TOTP step:\s+none used yet")
        self.assertFalse(os.path.exists(self.sandbox.state_file("alice")))

    def test_root_disables_a_user_without_a_code(self):
        self.enroll(["--user", "alice"])
        result = self.sandbox.run(["disable", "--user", "alice"], stdin_text="")
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout.decode()
        self.assertIn("Removed the enrollment of user alice.", out)
        self.assertIn("Removed the login state of user alice.", out)
        self.assertIn("refused for alice until the user enrolls again", out)
        self.assertFalse(os.path.exists(self.sandbox.enrollment_file("alice")))
        self.assertFalse(os.path.exists(self.sandbox.state_file("alice")))
        self.assertEqual(self.sandbox.run(["status", "--user", "alice"]).returncode, 3)

    def test_root_resets_a_corrupt_state_file(self):
        self.enroll(["--user", "alice"])
        state_file = self.sandbox.state_file("alice")
        with open(state_file, "r+b") as f:
            f.write(b"\0" * os.path.getsize(state_file))  # both slots gone
        self.assert_fails(["status", "--user", "alice"], 6, "no valid record")
        result = self.sandbox.run(["disable", "--user", "alice"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(os.path.exists(self.sandbox.state_file("alice")))

    def test_root_renews_backup_codes_without_a_code(self):
        self.enroll(["--user", "alice"])
        before = self.backup_codes
        result = self.sandbox.run(["backup-codes", "--user", "alice"], stdin_text="")
        self.assertEqual(result.returncode, 0, result.stderr)
        after = cli_sandbox.printed_backup_codes(result.stdout.decode())
        self.assertEqual(len(after), 10)
        self.assertFalse(set(before) & set(after))
        self.assertIn("shown\nonly once", result.stdout.decode())
        info = os.stat(self.sandbox.enrollment_file("alice"))
        self.assertEqual((info.st_uid, info.st_mode & 0o777),
                         (self.sandbox.enrollment_owner("alice"), 0o600))
        status = self.sandbox.run(["status", "--user", "alice"]).stdout.decode()
        self.assertRegex(status, r"Backup codes:\s+10 issued, 10 unused")

    def test_codes_hashed_at_another_count_are_refused_until_renewed(self):
        # The host sets the PBKDF2 count; codes made before it changed are
        # shown as refused, and `backup-codes` is the way back.
        self.enroll(["--user", "alice"])
        with open(self.sandbox.config, "a") as config:
            config.write("backup_code_iterations = 30000\n")
        status = self.sandbox.run(["status", "--user", "alice"]).stdout.decode()
        self.assertRegex(status, r"Refused:\s+the backup codes, hashed with 20000 PBKDF2 "
                                 r"iterations, not this host's backup_code_iterations \(30000\)")
        result = self.sandbox.run(["backup-codes", "--user", "alice"], stdin_text="")
        self.assertEqual(result.returncode, 0, result.stderr)
        status = self.sandbox.run(["status", "--user", "alice"]).stdout.decode()
        self.assertNotIn("Refused:", status)
        self.assertRegex(status, r"Backup codes:\s+10 issued, 10 unused")

    def test_root_for_itself_records_the_codes_it_types(self):
        # Without --user, root is a user like any other: it proves
        # possession, and as it can lock the state, the code is spent.
        self.enroll([])
        self.assertTrue(os.path.exists(self.sandbox.enrollment_file("root")))
        confirming = self.current_code()
        result = self.assert_fails(["disable"], 1, "code not verified",
                                   stdin_text=(confirming + "\n") * 3)
        self.assertEqual(result.stderr.count(b"That code was already used"), 3)
        self.sandbox.advance(30)
        result = self.sandbox.run(["backup-codes"], stdin_text=self.backup_codes[0])
        self.assertEqual(result.returncode, 0, result.stderr)
        new_codes = cli_sandbox.printed_backup_codes(result.stdout.decode())
        code = self.current_code()
        result = self.sandbox.run(["disable"], stdin_text=code)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b"Removed the enrollment of user root.", result.stdout)
        self.assertEqual(len(new_codes), 10)

    def test_enable_and_disable_send_a_notice_to_user_at_notify_domain(self):
        outbox = os.path.join(self.sandbox.root, "email-outbox")
        with open(self.sandbox.config, "a", encoding="utf-8") as config:
            config.write("email_backend = file\nemail_outbox = %s\nnotify_domain = example.com\n"
                         % outbox)

        def notices():
            with open(outbox, encoding="utf-8") as f:
                return [json.loads(line) for line in f]

        result = self.enroll(["--user", "alice"])
        self.assertIn(b"otpgate: second factor enabled for user alice: TOTP app\n", result.stderr)
        [enabled] = notices()
        self.assertEqual((enabled["kind"], enabled["channel"], enabled["to"], enabled["code"]),
                         ("notice", "email", "alice@example.com", ""))
        self.assertIn("Two-factor authentication was turned on for your account alice",
                      enabled["text"])
        self.assertIn("at 2023-11-14 22:13:40 UTC.", enabled["text"])
        self.assertIn("If this was not you, contact your administrator.", enabled["text"])
        self.assertNotIn(self.secret.replace(" ", ""), json.dumps(enabled))

        result = self.sandbox.run(["disable", "--user", "alice"], stdin_text="")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(b"second factor disabled for user alice: TOTP app", result.stderr)
        disabled = notices()[1]
        self.assertEqual((disabled["kind"], disabled["to"]), ("notice", "alice@example.com"))
        self.assertIn("Two-factor authentication was turned off", disabled["text"])
        self.assertEqual(len(notices()), 2)

    def test_replayed_code_is_named(self):
        self.enroll([])
        result = self.sandbox.run(["disable"], stdin_text=self.current_code() + "\n")
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"That code was already used", result.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    options, rest = parser.parse_known_args()
    OTPGATE = os.path.abspath(options.otpgate)
    cli_sandbox.require("oathtool")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
