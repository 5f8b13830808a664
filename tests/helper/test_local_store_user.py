"""store = local: root keeps every enrollment, and an ordinary user changes
theirs through otpgate-verify alone.

The same world as test_verify_helper.py (real users, the helper installed
set-uid root, pamtester logins through the real pam_otpgate.so), with
`store = local` in every configuration it writes. After each journey no
file the user can read anywhere on the host holds the secret or a backup
code's hash: the search runs as that user (setpriv) over the whole file
system but /proc, /sys, /dev and /run.

Usage: test_local_store_user.py --helper ... --config ... --otpgate ... --module ...
"""

import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import pexpect

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
import test_verify_helper as helper_test  # noqa: E402  (World, journeys, arguments)
import qr_decode  # noqa: E402  (tests/cli: the printed QR code back to its text)
import cli_sandbox  # noqa: E402

USER = "otpgvh1"
PYTHON = "/usr/bin/python3"

# Run as the user: every regular file it can open is read and searched.
# A file whose content changed before the journey began (its ctime, which
# every write moves and no user can set back, is older) cannot hold a
# secret made during it, and is only looked at, not read: that keeps a
# search of the whole host to a few seconds.
SEARCH = r"""
import json, os, stat, sys
spec = json.loads(sys.stdin.read())
needles = [bytes.fromhex(n) for n in spec["needles"]]
overlap = max(len(n) for n in needles)
seen = read = 0
hits = []
for top, dirs, files in os.walk("/", onerror=lambda error: None):
    if top == "/":
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", "run")]
    for name in files:
        path = os.path.join(top, name)
        seen += 1
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or max(info.st_ctime, info.st_mtime) < spec["since"]:
                continue
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        read += 1
        with os.fdopen(fd, "rb") as f:
            tail = b""
            for chunk in iter(lambda: f.read(1 << 20), b""):
                data = tail + chunk
                hits += [[path, i] for i, n in enumerate(needles) if n in data]
                tail = data[-overlap:]
print(json.dumps({"seen": seen, "read": read, "hits": hits}))
"""


class LocalWorld(helper_test.World):
    """test_verify_helper's world, every configuration with store = local."""

    def configure(self, extra=()):
        super().configure(["store = local"] + list(extra))

    def root_enrollment(self, user=USER):
        return os.path.join(self.state_dir, ".enrollments", user)


def secret_needles(base32_secret):
    """The secret as the bytes a file could hold it in: base32 (plain and as
    shown, in groups of four), hex either case, and raw."""
    plain = base32_secret.replace(" ", "").upper()
    raw = subprocess.run(["/usr/bin/base32", "-d"], input=(plain + "=" * (-len(plain) % 8)).encode(),
                         stdout=subprocess.PIPE, check=True).stdout
    grouped = " ".join(plain[i:i + 4] for i in range(0, len(plain), 4))
    return [plain.encode(), grouped.encode(), raw.hex().encode(), raw.hex().upper().encode(), raw]


def hash_needles(enrollment_text):
    """Each backup code's hash, hex either case and raw."""
    needles = []
    for value in re.findall(r"^backup_code = ([0-9a-f]{64})$", enrollment_text, re.M):
        needles += [value.encode(), value.upper().encode(), bytes.fromhex(value)]
    return needles


class LocalStoreUserTest(helper_test.HelperJourneys):
    def setUp(self):
        super().setUp()
        self.started = time.time() - 2
        self.private = tempfile.mkdtemp(prefix="otpgate-local-", dir=helper_test.WORLD.root)
        os.chmod(self.private, 0o700)
        self.addCleanup(shutil.rmtree, self.private, True)
        self.needles = []

    # --- what the user can read ----------------------------------------------

    def readable_hits(self, needles):
        world = helper_test.WORLD
        spec = {"since": self.started, "needles": [n.hex() for n in needles]}
        result = subprocess.run(world.as_user(USER, [PYTHON, "-c", SEARCH]),
                                input=json.dumps(spec).encode(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=world.user_env(USER), timeout=240,
                                check=True)
        found = json.loads(result.stdout)
        self.assertGreater(found["seen"], 1000, found)  # it did walk the host
        return found["hits"]

    def assert_nothing_readable_holds(self, needles):
        self.assertTrue(needles)
        # The search finds what it looks for: a copy the user can read.
        canary = os.path.join(helper_test.WORLD.root, "canary")
        with open(canary, "wb") as f:
            f.write(b"...." + needles[0] + b"....")
        os.chmod(canary, 0o644)
        try:
            self.assertIn([canary, 0], self.readable_hits(needles[:1]))
        finally:
            os.unlink(canary)
        hits = self.readable_hits(needles)
        self.assertEqual(hits, [], "files the user can read hold a secret: %r" % hits)

    def remember_root_record(self):
        """The root-held enrollment, checked for its place and mode; its
        backup code hashes join what the search looks for."""
        path = helper_test.WORLD.root_enrollment()
        info = os.lstat(path)
        self.assertEqual((info.st_uid, stat.S_IMODE(info.st_mode)), (0, 0o600))
        folder = os.lstat(os.path.dirname(path))
        self.assertEqual((folder.st_uid, stat.S_IMODE(folder.st_mode)), (0, 0o700))
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.needles += hash_needles(text)
        self.assertFalse(os.path.lexists(self.enrollment_file()))  # nothing in the home
        return text

    # --- journeys -------------------------------------------------------------

    def status(self, exit_status=0):
        return self.run_to_end(self.track(helper_test.WORLD.cli(USER, ["status"])), exit_status)

    def login(self, code, succeeds, user=USER):
        child = self.track(helper_test.WORLD.pamtester(user))
        child.expect_exact("Verification code: ")
        child.sendline(code)
        child.expect("successfully authenticated" if succeeds else "Authentication failure")

    def run_to_end(self, child, status=0):
        child.expect(pexpect.EOF)
        output = child.before
        child.close()
        self.assertEqual(child.exitstatus, status, output)
        return output

    # --- tests ----------------------------------------------------------------

    def test_totp_enrolled_at_a_terminal_stays_out_of_the_users_reach(self):
        world = helper_test.WORLD
        self.assertIn("you are not enrolled", self.status(3))
        child = self.track(world.cli(USER, ["enroll", "totp", "--issuer", "Example Corp"]))
        child.expect_exact("code from your app: ")
        shown = child.before
        secret = cli_sandbox.printed_secret(shown).replace(" ", "")
        uri = cli_sandbox.printed_uri(shown)
        self.assertIn("issuer=Example%20Corp", uri)
        # The QR code the helper drew reads back, by zbarimg, as the URI.
        self.assertEqual(qr_decode.decode(shown, self.private), uri)
        # Nothing is saved before the app's code confirms the secret.
        self.assertFalse(os.path.lexists(world.root_enrollment()))
        helper_test.settle_into_a_step()
        confirming = helper_test.totp(secret, offset=-30)
        child.sendline(confirming)
        output = self.run_to_end(child)
        self.assertIn("Code confirmed. TOTP is now enrolled for user %s." % USER, output)
        backup_codes = cli_sandbox.printed_backup_codes(output)
        self.assertEqual(len(backup_codes), 10, output)
        text = self.remember_root_record()
        self.assertIn("totp_secret = " + secret, text)

        self.assert_nothing_readable_holds(secret_needles(secret) + self.needles)

        # The confirming code was recorded as spent: it does not log in.
        self.assert_spent(USER, confirming)
        world.configure(["max_attempts = 1"])
        current = helper_test.totp(secret)
        self.login(current, True)
        self.login(current, False)  # a replay
        self.assertRegex(self.status(), r"Backup codes: +10 issued, 10 unused")
        self.login(backup_codes[0], True)
        self.login(backup_codes[0], False)  # each backup code works once
        # The helper's summary: no secret, and what root's state knows.
        summary = self.status()
        self.assertRegex(summary, r"Method: +TOTP \(SHA1, 6 digits")
        self.assertRegex(summary, r"Backup codes: +10 issued, 9 unused")
        self.assertNotIn(secret, summary)

    def pam_login(self, code, rhost=None, asked=True):
        """pamtester's exit status: 0 when the module let the user in."""
        world = helper_test.WORLD
        env = dict(os.environ)
        env.update({"LD_PRELOAD": cli_sandbox.preload("libpam_wrapper.so"), "PAM_WRAPPER": "1",
                    "PAM_WRAPPER_SERVICE_DIR": world.pam_dir})
        items = ["-I", "rhost=" + rhost] if rhost else []
        result = subprocess.run(["pamtester", "-v"] + items + ["otpgate", USER, "authenticate"],
                                env=env, input=(code + "\n").encode(), capture_output=True,
                                timeout=30)
        output = result.stdout.decode() + result.stderr.decode()
        # Asked: our stack, not /etc/pam.d. Not asked: a remembered host.
        self.assertEqual("Verification code: " in output, asked, output)
        return result.returncode

    def test_lockout_and_remembered_hosts_work_as_in_files_mode(self):
        world = helper_test.WORLD
        secret = self.enroll_totp()
        world.configure(["max_attempts = 1", "lockout_failures = 2", "remember_host = 3600"])
        laptop = "198.51.100.7"
        helper_test.settle_into_a_step()
        self.assertEqual(self.pam_login(helper_test.totp(secret), rhost=laptop), 0)
        # Not asked: the module steps aside, which this one-module stack refuses.
        self.pam_login("", rhost=laptop, asked=False)

        following = helper_test.totp(secret, offset=30)  # inside the window, unused
        wrong = cli_sandbox.wrong_code(following)
        self.assertNotEqual(self.pam_login(wrong), 0)
        self.assertNotEqual(self.pam_login(wrong), 0)
        self.assertNotEqual(self.pam_login(following), 0)  # locked: even a right code
        unlocked = subprocess.run([os.path.abspath(helper_test.ARGS.otpgate), "--config",
                                   world.user_config, "unlock", "--user", USER],
                                  capture_output=True, timeout=30, check=False)
        self.assertEqual(unlocked.returncode, 0, unlocked.stderr)
        self.assertEqual(self.pam_login(following), 0)

    def test_backup_codes_and_disable_go_through_the_helper(self):
        world = helper_test.WORLD
        secret = self.enroll_totp()
        before = self.remember_root_record()
        code = helper_test.totp(secret)
        child = self.track(world.cli(USER, ["backup-codes"]))
        child.expect_exact("Verification code: ")
        child.sendline(code)
        output = self.run_to_end(child)
        self.assertIn("New backup codes for user " + USER, output)
        new_codes = cli_sandbox.printed_backup_codes(output)
        self.assertEqual(len(new_codes), 10)
        after = self.remember_root_record()
        self.assertNotEqual(hash_needles(before), hash_needles(after))
        self.assert_nothing_readable_holds(secret_needles(secret) + self.needles)
        # The code that proved possession cannot log in, and a new backup code can.
        self.assert_spent(USER, code)

        child = self.track(world.cli(USER, ["disable"]))
        child.expect_exact("Verification code: ")
        child.sendline(new_codes[0])
        output = self.run_to_end(child)
        self.assertIn("Removed the enrollment of user " + USER, output)
        self.assertFalse(os.path.lexists(world.root_enrollment()))
        self.assertFalse(os.path.lexists(self.enrollment_file()))

    def test_sms_then_email_are_saved_in_roots_store(self):
        world = helper_test.WORLD
        child = self.track(world.cli(USER, ["enroll", "sms", helper_test.NUMBER]))
        self.answer_from_outbox(child, 1, "Enter the code sent to %s: " % helper_test.MASKED)
        output = self.run_to_end(child)
        self.assertIn("SMS codes to %s are now the second factor of user %s."
                      % (helper_test.MASKED, USER), output)
        self.assertEqual(len(cli_sandbox.printed_backup_codes(output)), 10, output)
        self.assertIn("method = sms", self.remember_root_record())
        self.log_in(USER)

        child = self.track(world.cli(USER, ["enroll", "email", "Alice@Example.COM"]))
        old = self.answer_from_outbox(child, 3, "(r = resend): ")  # the current factor first
        self.assertEqual((old["to"], old["kind"]), (helper_test.NUMBER, "change_code"))
        new = self.answer_from_outbox(child, 4, "Enter the code sent to A•••@example.com: ")
        self.assertEqual((new["to"], new["kind"]), ("Alice@example.com", "verification_code"))
        output = self.run_to_end(child)
        self.assertIn("Email codes to A•••@example.com are now the second factor", output)
        # The backup codes the user holds stay: none are shown again.
        self.assertEqual(cli_sandbox.printed_backup_codes(output), [])
        self.assertIn("destination = Alice@example.com", self.remember_root_record())
        self.assert_nothing_readable_holds(self.needles)

    def test_import_reads_the_users_file_as_the_user(self):
        world = helper_test.WORLD
        entry = world.users[USER]
        path = os.path.join(entry.pw_dir, ".google_authenticator")
        subprocess.run(world.as_user(USER, [
            "google-authenticator", "--force", "--quiet", "--no-confirm", "--secret=" + path,
            "--label=%s@test" % USER, "--issuer=test", "--time-based", "--disallow-reuse",
            "--rate-limit=3", "--rate-time=30", "--window-size=3", "--emergency-codes=5"]),
            env=world.user_env(USER), stdin=subprocess.DEVNULL, capture_output=True, check=True,
            timeout=30)
        with open(path, encoding="ascii") as f:
            secret = f.readline().strip()
        child = self.track(world.cli(USER, ["import", "google-authenticator"]))
        child.expect_exact("To finish, a code from the app that holds this secret.")
        child.expect_exact("code from your app: ")
        child.sendline(helper_test.totp(secret))
        output = self.run_to_end(child)
        self.assertIn("Imported %s for user %s." % (path, USER), output)
        self.assertIn("ask your administrator", output)
        self.assertIn("totp_secret = " + secret, self.remember_root_record())
        # The user's own file holds the secret, as before; no other copy appears.
        os.chmod(path, 0)
        os.chown(path, 0, 0)
        self.assert_nothing_readable_holds(secret_needles(secret) + self.needles)

        # Replacing takes --force.
        os.chown(path, entry.pw_uid, entry.pw_gid)
        os.chmod(path, 0o400)
        again = self.track(world.cli(USER, ["import", "google-authenticator"]))
        output = self.run_to_end(again, 4)
        self.assertIn("run again with --force", output)

    def test_import_never_follows_a_symlink(self):
        world = helper_test.WORLD
        entry = world.users[USER]
        secret_file = os.path.join(world.root, "roots-ga")
        with open(secret_file, "w", encoding="ascii") as f:
            f.write("JBSWY3DPEHPK3PXPJBSWY3DPEH\n\" TOTP_AUTH\n")
        os.chmod(secret_file, 0o600)
        link = os.path.join(entry.pw_dir, ".google_authenticator")
        os.symlink(secret_file, link)
        os.lchown(link, entry.pw_uid, entry.pw_gid)
        for args in (["import", "google-authenticator"],
                     ["import", "google-authenticator", secret_file]):
            with self.subTest(args=args):
                child = self.track(world.cli(USER, args))
                output = self.run_to_end(child, 4)
                self.assertRegex(output, r"symbolic link|belongs to uid 0|Permission denied")
                self.assertNotIn("JBSWY3DP", output)
        self.assertFalse(os.path.lexists(world.root_enrollment()))

    def test_every_change_is_announced_from_the_privileged_side(self):
        world = helper_test.WORLD

        def notices():
            return [m["text"] for m in world.messages() if m["kind"] == "notice"
                    and m["to"] == USER + "@example.com"]

        world.configure(["notify_changes = yes", "notify_domain = example.com"])
        secret = self.enroll_totp()
        self.assertIn("Two-factor authentication was turned on", notices()[-1])
        child = self.track(world.cli(USER, ["backup-codes"]))
        child.expect_exact("Verification code: ")
        child.sendline(helper_test.totp(secret))
        self.run_to_end(child)
        self.assertIn("New backup codes were made", notices()[-1])
        child = self.track(world.cli(USER, ["disable"]))
        child.expect_exact("Verification code: ")
        child.sendline(helper_test.totp(secret, offset=30))
        self.run_to_end(child)
        self.assertIn("Two-factor authentication was turned off", notices()[-1])
        self.assertEqual(len(notices()), 3)

    def test_without_the_helper_only_root_changes_enrollments(self):
        world = helper_test.WORLD
        world.configure(["verify_helper ="])
        for args in (["enroll", "totp"], ["enroll", "sms", helper_test.NUMBER], ["disable"],
                     ["backup-codes"], ["import", "google-authenticator"]):
            with self.subTest(args=args):
                child = self.track(world.cli(USER, args))
                output = self.run_to_end(child, 4)
                self.assertIn("only root can change them", output)
                self.assertIn("ask an administrator", output)
                self.assertNotIn("Secret:", output)
        self.assertFalse(os.path.lexists(os.path.join(world.state_dir, ".enrollments")))
        self.assertEqual(os.listdir(world.users[USER].pw_dir), [])
        self.assertEqual(world.messages(), [])
        status = self.track(world.cli(USER, ["status"]))
        output = self.run_to_end(status)
        self.assertIn("kept by root", output)
        self.assertIn("otpgate status --user " + USER, output)


def main():
    parser = argparse.ArgumentParser()
    for name in ("--helper", "--config", "--otpgate", "--module"):
        parser.add_argument(name, required=True)
    helper_test.ARGS, rest = parser.parse_known_args()
    cli_sandbox.require("oathtool", "pamtester", "setpriv", "useradd", "userdel", "zbarimg",
                        "google-authenticator")
    helper_test.WORLD = LocalWorld()
    try:
        unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
    finally:
        helper_test.WORLD.cleanup()


if __name__ == "__main__":
    main()
