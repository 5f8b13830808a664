"""A user's own changes, as otpgate-verify carries them out.

Every change an ordinary user makes goes through the set-uid helper, which
records what the change needs in root's state and sends the change notice
with root's rights: the confirming code of a new TOTP enrollment is spent,
enabling, renewing backup codes and disabling are announced even though
the user cannot write the mail outbox (standing in for SMTP credentials only
root can read), a notice never goes to an address the user merely wrote
into their file, and a missing or damaged file does not let a change skip
the code of the factor root's state knows.

Real users, the set-uid helper and pam_otpgate.so from test_verify_helper's
World.

Usage: test_user_changes.py --helper ... --config ... --otpgate ... --module ...
"""

import hashlib
import os
import re
import sys

import pexpect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_verify_helper as helper_test  # noqa: E402  (World, journeys)
cli_sandbox = helper_test.cli_sandbox

NUMBER, NUMBER_2 = helper_test.NUMBER, helper_test.NUMBER_2
MASKED = helper_test.MASKED
VICTIM = "victim@example.org"


def notices(world):
    return [m for m in world.messages() if m["kind"] == "notice"]


def rewrite_destination(path, new_destination):
    """What a user can do to their own file: another destination, with the
    checksum line made right again."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    body = "".join("destination = %s\n" % new_destination if line.startswith("destination")
                   else line for line in lines if not line.startswith("checksum"))
    digest = hashlib.sha256(body.encode()).hexdigest()
    with open(path, "w", encoding="utf-8") as f:
        f.write(body + "checksum = %s\n" % digest)


class UserChanges(helper_test.HelperJourneys):
    def announce_to(self, *extra):
        helper_test.WORLD.configure(["notify_changes = yes", "notify_domain = example.com"]
                                    + list(extra))

    def run_cli(self, user, args, code):
        child = self.track(helper_test.WORLD.cli(user, args))
        child.expect_exact("Verification code: ")
        child.sendline(code)
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        return child.before

    # --- G: the confirming code is spent ------------------------------------

    def test_the_code_that_confirmed_a_totp_enrollment_does_not_log_in_again(self):
        secret = self.enroll_totp()  # confirmed with the code of the step before now
        self.assert_spent("otpgvh1", helper_test.totp(secret, offset=-30))
        # A later code of the same app does.
        login = self.track(helper_test.WORLD.pamtester("otpgvh1"))
        login.expect_exact("Verification code: ")
        login.sendline(helper_test.totp(secret))
        login.expect_exact("successfully authenticated")

    # --- F: every change announced from the privileged side -------------------

    def test_a_users_own_changes_are_announced_even_without_their_reading_the_credentials(self):
        world = helper_test.WORLD
        self.announce_to()
        secret = self.enroll_totp()
        self.assertEqual([n["to"] for n in notices(world)], ["otpgvh1@example.com"])
        self.assertIn("Two-factor authentication was turned on", notices(world)[0]["text"])

        output = self.run_cli("otpgvh1", ["backup-codes"], helper_test.totp(secret))
        self.assertIn("New backup codes for user otpgvh1", output)
        self.assertRegex(output, r"\s1\. \d{5}-\d{5}")
        self.assertEqual(len(notices(world)), 2)
        self.assertIn("New backup codes were made", notices(world)[1]["text"])

        self.run_cli("otpgvh1", ["disable"], helper_test.totp(secret, offset=30))
        self.assertFalse(os.path.lexists(self.enrollment_file()))
        self.assertEqual(len(notices(world)), 3)
        self.assertIn("Two-factor authentication was turned off", notices(world)[2]["text"])
        self.assertEqual({n["to"] for n in notices(world)}, {"otpgvh1@example.com"})

    def test_an_import_is_confirmed_recorded_and_announced_by_the_helper(self):
        world = helper_test.WORLD
        self.announce_to()
        secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        entry = world.users["otpgvh1"]
        google = os.path.join(entry.pw_dir, ".google_authenticator")
        with open(google, "w", encoding="utf-8") as f:
            f.write(secret + '\n" TOTP_AUTH\n12345678\n')
        os.chown(google, entry.pw_uid, entry.pw_gid)
        os.chmod(google, 0o400)
        helper_test.settle_into_a_step()
        code = helper_test.totp(secret)
        child = self.track(world.cli("otpgvh1", ["import", "google-authenticator"]))
        child.expect_exact("code from your app: ")
        child.sendline(code)
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        self.assertIn("Imported", child.before)
        self.assertEqual([n["to"] for n in notices(world)], ["otpgvh1@example.com"])
        self.assert_spent("otpgvh1", code)  # the code that confirmed the import

    def test_a_refused_confirmation_leaves_the_old_enrollment_in_force(self):
        world = helper_test.WORLD
        secret = self.enroll_totp()
        with open(self.enrollment_file(), "rb") as f:
            before = f.read()
        child = self.track(world.cli("otpgvh1", ["enroll", "totp", "--qr", "none"]))
        child.expect_exact("Verification code: ")
        child.sendline(helper_test.totp(secret))
        child.expect(r"Secret: +([A-Z2-7 ]+)\r?\n")
        new_secret = child.match.group(1).replace(" ", "")
        child.expect_exact("code from your app: ")
        # Now the state cannot be trusted: the helper cannot record the code.
        os.chmod(world.state_dir, 0o777)
        try:
            child.sendline(helper_test.totp(new_secret))
            child.expect(pexpect.EOF)
            child.close()
        finally:
            os.chmod(world.state_dir, 0o700)
        self.assertNotEqual(child.exitstatus, 0)
        self.assertIn("nothing was changed", child.before)
        with open(self.enrollment_file(), "rb") as f:
            self.assertEqual(f.read(), before)

    # --- C: notices only to proven addresses ------------------------------------

    @cli_sandbox.files_store_only("the user writes their own file")
    def test_a_notice_never_goes_to_an_address_the_user_wrote_themselves(self):
        world = helper_test.WORLD
        self.announce_to()
        child = self.track(world.cli("otpgvh1", ["enroll", "email", "alice@example.net"]))
        self.answer_from_outbox(child, 1, "Enter the code sent to a•••@example.net: ")
        child.expect(r"\s1\. (\d{5}-\d{5})")
        backup_code = child.match.group(1)
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        self.assertEqual([n["to"] for n in notices(world)], ["alice@example.net"])

        # The user writes someone else's address into their own file, then
        # changes to SMS, proving it with a backup code.
        rewrite_destination(self.enrollment_file(), VICTIM)
        child = self.track(world.cli("otpgvh1", ["enroll", "sms", NUMBER]))
        child.expect_exact("code: ")
        child.sendline(backup_code)
        self.answer_from_outbox(child, len(world.messages()) + 1,
                                "Enter the code sent to %s: " % MASKED)
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        self.assertNotIn(VICTIM, [m["to"] for m in world.messages()])
        self.assertIn("The second factor was changed", notices(world)[-1]["text"])

    def test_the_replaced_address_is_told_when_root_had_it_verified(self):
        world = helper_test.WORLD
        self.announce_to()
        child = self.track(world.cli("otpgvh1", ["enroll", "email", "alice@example.net"]))
        self.answer_from_outbox(child, 1, "Enter the code sent to a•••@example.net: ")
        child.expect(pexpect.EOF)
        child.close()
        child = self.track(world.cli("otpgvh1", ["enroll", "email", "new@example.net"]))
        self.answer_from_outbox(child, 3, "(r = resend): ")  # the old address's login code
        self.answer_from_outbox(child, 4, "Enter the code sent to n•••@example.net: ")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        self.assertEqual(sorted(n["to"] for n in notices(world)[1:]),
                         ["alice@example.net", "new@example.net"])

    # --- E: a missing or damaged file is no way around the code ----------------

    def test_a_damaged_or_missing_file_does_not_skip_the_code_of_the_verified_number(self):
        world = helper_test.WORLD
        self.enroll_sms()
        for damage in ("corrupt", "missing"):
            with self.subTest(damage=damage):
                if damage == "corrupt":
                    entry = world.users["otpgvh1"]
                    cli_sandbox.plant_enrollment(self.enrollment_file(),
                                                 b"this is not an enrollment\n",
                                                 entry.pw_uid, entry.pw_gid)
                else:
                    os.unlink(self.enrollment_file())
                sent = len(world.messages())
                result = world.run_helper("otpgvh1", ["sms", NUMBER_2])
                self.assertEqual(result.returncode, 4, result.stderr)
                self.assertIn(b"ask an administrator", result.stderr)
                self.assertIn(b"otpgate disable --user otpgvh1", result.stderr)
                self.assertEqual(len(world.messages()), sent)  # nothing sent anywhere

    def test_after_disabling_with_a_code_the_user_enrolls_again_themselves(self):
        world = helper_test.WORLD
        self.enroll_sms()
        child = self.track(world.cli("otpgvh1", ["disable"]))
        self.answer_from_outbox(child, 2, "(r = resend): ")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 0, child.before)
        self.assertFalse(os.path.lexists(self.enrollment_file()))
        # Nothing is enrolled any more: the number must be verified anew.
        self.enroll_sms(number=NUMBER_2, masked=helper_test.MASKED_2)
        self.log_in("otpgvh1", helper_test.MASKED_2)


if __name__ == "__main__":
    helper_test.main()
