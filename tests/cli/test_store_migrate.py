"""`otpgate store migrate` with live users, and logins through the real
pam_otpgate.so (pamtester under pam_wrapper, nss_wrapper users, libfaketime):

- a dry run changes no file and says what it would do;
- a move to root's store (store = local) and back keeps every user's secret,
  spent codes, spent backup codes, verified destination and lockout, and
  leaves one copy per user, root's 0600 in a 0700 folder or the user's own;
- a second run changes nothing; a different enrollment already at the
  destination is a conflict, reported, and neither copy is touched;
- `list` and `status` show where each enrollment is, marking one not moved;
- SIGKILL at random points of a move: every user still logs in with either
  store configured, no spent code works again, and a new run finishes the
  move with one copy per user.
"""

import argparse
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (tests/support: the cli and e2e tiers share it)

OTPGATE = None
MODULE = None
SERVICE = "otpgate-store-cli"
# Besides the sandbox's alice and bob.
EXTRA_USERS = {"carol": 4303, "dave": 4304, "erin": 4305, "frank": 4306, "grace": 4307,
               "heidi": 4308}
KILL_TRIALS = 20


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class StoreWorld:
    """The sandbox with more users, a pamtester service and a switch of store."""

    def __init__(self, test):
        self.test = test
        self.sandbox = cli_sandbox.Sandbox(OTPGATE, ["sms_allowed_countries = 44"])
        test.addCleanup(self.sandbox.cleanup)
        self.uids = dict(cli_sandbox.USERS)
        for name, uid in EXTRA_USERS.items():
            self.add_user(name, uid)
        self.service_dir = self.sandbox.pam_services({SERVICE: self.sandbox.module_line(MODULE)})
        self.secrets = {}  # user -> (secret, uri)
        self.spent = {}  # user -> the last code a login accepted (its step is spent)

    def add_user(self, name, uid, home=None):
        sandbox = self.sandbox
        home = home or sandbox.home(name)
        with open(sandbox.passwd, "a", encoding="utf-8") as passwd:
            passwd.write("%s:x:%d:%d:%s:%s:/bin/sh\n" % (name, uid, uid, name, home))
        with open(sandbox.group, "a", encoding="utf-8") as group:
            group.write("%s:x:%d:\n" % (name, uid))
        os.makedirs(home, mode=0o755)
        os.chown(home, uid, uid)
        self.uids[name] = uid

    def set_store(self, kind):
        with open(self.sandbox.config, encoding="utf-8") as config:
            lines = [line for line in config if not line.startswith("store")]
        lines.append("store = %s\n" % kind)
        self.sandbox.write_file(self.sandbox.config, "".join(lines), 0o644)

    def local_file(self, user):
        return os.path.join(self.sandbox.state_dir, ".enrollments", user)

    def files_file(self, user):
        return self.sandbox.enrollment_file(user)

    # --- commands and logins ---------------------------------------------------

    def migrate(self, *args):
        return self.sandbox.run(["store", "migrate"] + list(args))

    def enroll_totp(self, user):
        secret, uri, backup_codes = self.sandbox.enroll_totp_as_root(user)
        self.secrets[user] = (secret, uri)
        return backup_codes

    def code(self, user):
        secret, uri = self.secrets[user]
        return cli_sandbox.totp_code(secret, self.sandbox.now, uri)

    def log_in(self, user, code):
        """pamtester's exit status: 0 when the module let the user in."""
        status, output = self.sandbox.pamtester(self.service_dir, SERVICE, user, code)
        self.test.assertIn("Verification code: ", output)  # our stack, not /etc/pam.d
        return status

    def log_in_now(self, user):
        """A login with the current code, which must be accepted."""
        code = self.code(user)
        self.test.assertEqual(self.log_in(user, code), 0, "user %s, code of now" % user)
        self.spent[user] = code

    # --- what is on disk ---------------------------------------------------------

    def snapshot(self):
        """Every file and folder under the homes and the state directory."""
        return cli_sandbox.tree_listing(os.path.join(self.sandbox.root, "home"),
                                        self.sandbox.state_dir)

    def assert_in_local(self, user):
        path = self.local_file(user)
        info = os.lstat(path)
        self.test.assertTrue(stat.S_ISREG(info.st_mode), path)
        self.test.assertEqual((info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)), (0, 0, 0o600))
        folder = os.lstat(os.path.dirname(path))
        self.test.assertEqual((folder.st_uid, stat.S_IMODE(folder.st_mode)), (0, 0o700))
        with open(path, encoding="utf-8") as f:
            self.test.assertEqual(f.readline(), "otpgate-local-enrollment uid=%d\n" % self.uids[user])
        self.test.assertFalse(os.path.exists(self.files_file(user)), user)

    def assert_in_files(self, user):
        path = self.files_file(user)
        info = os.lstat(path)
        self.test.assertTrue(stat.S_ISREG(info.st_mode), path)
        uid = self.uids[user]
        self.test.assertEqual((info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)),
                              (uid, uid, 0o600))
        self.test.assertFalse(os.path.exists(self.local_file(user)), user)


class StoreMigrate(unittest.TestCase):
    def setUp(self):
        self.world = StoreWorld(self)
        self.sandbox = self.world.sandbox

    def test_there_and_back_keeps_secrets_spent_codes_verified_destinations_and_lockouts(self):
        world, sandbox = self.world, self.sandbox
        world.set_store("files")
        totp_users = ["alice", "bob", "carol"]
        backup = {user: world.enroll_totp(user) for user in totp_users}
        sms = sandbox.run(["enroll", "sms", "+44 7700 900123", "--user", "dave", "--verified"],
                          stdin_text="")
        self.assertEqual(sms.returncode, 0, sms.stderr)
        world.log_in_now("alice")
        world.log_in_now("carol")
        self.assertEqual(world.log_in("alice", backup["alice"][0]), 0)
        wrong = cli_sandbox.wrong_code(world.code("bob"))
        for _ in range(5):  # max_attempts = 1: one code per login; five lock
            self.assertNotEqual(world.log_in("bob", wrong), 0)
        users = totp_users + ["dave"]
        states = {user: read_bytes(sandbox.state_file(user)) for user in users}
        status_before = {user: self.status(user) for user in users}
        self.assertRegex(status_before["dave"], r"Verified: +2023-")
        self.assertRegex(status_before["bob"], r"Lockout: +LOCKED")

        # A dry run says what it would do and changes nothing.
        before = world.snapshot()
        dry = world.migrate("--to", "local", "--all", "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        printed = dry.stdout.decode()
        for user in users:
            self.assertIn("user %s: would move %s to %s\n"
                          % (user, world.files_file(user), world.local_file(user)), printed)
        self.assertIn("Dry run, nothing changed: 4 to move, 0 already there, 0 conflicts, "
                      "0 errors.\n", printed)
        self.assertNotIn("user root", printed)  # not enrolled: not mentioned
        self.assertEqual(world.snapshot(), before)

        moved = world.migrate("--to", "local", "--all")
        self.assertEqual(moved.returncode, 0, moved.stderr)
        for user in users:
            self.assertIn("user %s: moved %s to %s\n"
                          % (user, world.files_file(user), world.local_file(user)),
                          moved.stdout.decode())
            self.assertIn("store migrate by root: user %s: moved" % user, moved.stderr.decode())
            world.assert_in_local(user)
            # The login state was not touched: byte for byte the same.
            self.assertEqual(read_bytes(sandbox.state_file(user)), states[user], user)
        self.assertIn("4 moved, 0 already there", moved.stdout.decode())

        # What root sees is the same but for where the file is.
        world.set_store("local")
        for user in users:
            self.assertEqual(self.status(user).replace(world.local_file(user), "X"),
                             status_before[user].replace(world.files_file(user), "X"))
        # Logins read root's copy, with either store configured.
        for kind in ("local", "files"):
            world.set_store(kind)
            self.check_logins_after_a_move(backup, spent_backup_of_alice=backup["alice"][0])
        world.set_store("local")
        self.assertIn("Enrollment file:  %s\n" % world.local_file("alice"), self.status("alice"))

        # A second run changes nothing.
        before = world.snapshot()
        again = world.migrate("--to", "local", "--all")
        self.assertEqual(again.returncode, 0, again.stderr)
        for user in users:
            self.assertIn("user %s: already in the local store (%s)\n"
                          % (user, world.local_file(user)), again.stdout.decode())
        self.assertIn("0 moved, 4 already there, 0 conflicts, 0 errors.", again.stdout.decode())
        self.assertEqual(world.snapshot(), before)

        # And back to the users' files.
        states = {user: read_bytes(sandbox.state_file(user)) for user in users}
        back = world.migrate("--to", "files", "--all")
        self.assertEqual(back.returncode, 0, back.stderr)
        for user in users:
            self.assertIn("user %s: moved %s to %s\n"
                          % (user, world.local_file(user), world.files_file(user)),
                          back.stdout.decode())
            world.assert_in_files(user)
            self.assertEqual(read_bytes(sandbox.state_file(user)), states[user], user)
        for kind in ("files", "local"):
            world.set_store(kind)
            self.check_logins_after_a_move(backup, spent_backup_of_alice=backup["alice"][0])
        self.assertRegex(self.status("dave"), r"Verified: +2023-")
        self.assertRegex(self.status("bob"), r"Lockout: +LOCKED")
        unlocked = sandbox.run(["unlock", "--user", "bob"])
        self.assertEqual(unlocked.returncode, 0, unlocked.stderr)
        world.log_in_now("bob")

    def check_logins_after_a_move(self, backup, spent_backup_of_alice):
        world = self.world
        # The step spent last is still inside the window: refused only as spent.
        self.sandbox.advance(30)
        for user in ("alice", "carol"):
            self.assertNotEqual(world.log_in(user, world.spent[user]), 0,
                                "user %s: a spent code works again" % user)
            world.log_in_now(user)
        self.assertNotEqual(world.log_in("alice", spent_backup_of_alice), 0,
                            "a spent backup code works again")
        self.assertNotEqual(world.log_in("bob", world.code("bob")), 0, "bob's lockout was lost")
        # Each backup code works once, after the move too.
        unused = backup["carol"].pop()
        self.assertEqual(world.log_in("carol", unused), 0)
        self.assertNotEqual(world.log_in("carol", unused), 0)

    def status(self, user):
        result = self.sandbox.run(["status", "--user", user])
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.decode()

    def test_a_different_enrollment_at_the_destination_is_a_conflict_left_alone(self):
        world, sandbox = self.world, self.sandbox
        world.set_store("files")
        world.enroll_totp("alice")
        world.enroll_totp("carol")
        with open(world.files_file("carol"), encoding="utf-8") as f:
            first = f.read()
        world.enroll_totp("carol")  # a new enrollment replaces the first in carol's file
        os.makedirs(os.path.dirname(world.local_file("carol")), mode=0o700)
        sandbox.write_file(world.local_file("carol"), "otpgate-local-enrollment uid=%d\n%s"
                           % (world.uids["carol"], first), 0o600)
        before = world.snapshot()

        result = world.migrate("--to", "local", "--all")
        self.assertEqual(result.returncode, 6, result.stderr)
        printed = result.stdout.decode()
        self.assertIn("user carol: CONFLICT: %s and %s hold different enrollments; both left as "
                      "they are" % (world.files_file("carol"), world.local_file("carol")), printed)
        self.assertIn("store migrate: user carol: CONFLICT", result.stderr.decode())
        self.assertIn("user alice: moved", printed)
        self.assertIn("1 moved, 0 already there, 1 conflict, 0 errors.", printed)
        for path in (world.files_file("carol"), world.local_file("carol")):
            self.assertEqual(world.snapshot()[path], before[path])
        # The configured store wins: carol logs in with her newer app.
        world.log_in_now("carol")

        only_carol = world.migrate("--to", "files", "--user", "carol")
        self.assertEqual(only_carol.returncode, 6, only_carol.stderr)
        self.assertIn("user carol: CONFLICT", only_carol.stdout.decode())
        self.assertNotIn("alice", only_carol.stdout.decode())

    def test_list_and_status_show_where_each_enrollment_is(self):
        world, sandbox = self.world, self.sandbox
        world.set_store("files")
        world.enroll_totp("alice")
        world.enroll_totp("bob")
        world.set_store("local")  # the configuration changed, the move not done yet
        listed = sandbox.run(["list"])
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertRegex(listed.stdout.decode(),
                         r"\nalice +totp .* \[still in the files store: "
                         r"`otpgate store migrate --to local`\]\n")
        self.assertRegex(self.status("alice"),
                         r"Enrollment file: +%s \(the files store, not yet moved to the "
                         r"configured local store: `otpgate store migrate --to local`\)\n"
                         % re.escape(world.files_file("alice")))

        result = world.migrate("--to", "local", "--user", "alice")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.decode(), "user alice: moved %s to %s\n"
                         "1 moved, 0 already there, 0 conflicts, 0 errors.\n"
                         % (world.files_file("alice"), world.local_file("alice")))
        self.assertTrue(os.path.exists(world.files_file("bob")))  # only the named user
        users = {entry["user"]: entry
                 for entry in json.loads(sandbox.run(["list", "--json"]).stdout)["users"]}
        self.assertEqual(sorted(users), ["alice", "bob"])
        self.assertEqual((users["alice"]["store"], users["bob"]["store"]), ("local", "files"))
        self.assertIn("Enrollment file:  %s\n" % world.local_file("alice"), self.status("alice"))

    def test_root_enrolls_and_disables_in_root_store_and_nothing_comes_back(self):
        world, sandbox = self.world, self.sandbox
        world.set_store("files")
        world.enroll_totp("alice")
        old_copy = read_bytes(world.files_file("alice"))
        world.set_store("local")
        world.enroll_totp("alice")  # replaces the copy in her files, which goes
        world.assert_in_local("alice")
        world.log_in_now("alice")
        # An old copy back in her files (restored from a backup, say): a
        # disabled enrollment must not come back from there either.
        with open(world.files_file("alice"), "wb") as f:
            f.write(old_copy)
        os.chmod(world.files_file("alice"), 0o600)
        os.chown(world.files_file("alice"), world.uids["alice"], world.uids["alice"])
        disabled = sandbox.run(["disable", "--user", "alice"])
        self.assertEqual(disabled.returncode, 0, disabled.stderr)
        for kind in ("local", "files"):
            world.set_store(kind)
            status = sandbox.run(["status", "--user", "alice"])
            self.assertEqual(status.returncode, 3, status.stderr)
        self.assertFalse(os.path.exists(world.local_file("alice")))
        self.assertFalse(os.path.exists(world.files_file("alice")))

    def test_paths_from_the_password_database_reach_terminal_and_log_escaped(self):
        world, sandbox = self.world, self.sandbox
        # A home whose name would retitle the terminal and colour the rest.
        home = os.path.join(sandbox.root, "home", "mallory\x1b]0;pwned\x07\x1b[31m")
        world.add_user("mallory", 4309, home)
        world.set_store("files")
        world.enroll_totp("mallory")
        for args in (["--dry-run"], []):
            result = world.migrate("--to", "local", "--user", "mallory", *args)
            self.assertEqual(result.returncode, 0, result.stderr)
            for stream in (result.stdout, result.stderr):
                self.assertNotIn(b"\x1b", stream)
                self.assertNotIn(b"\x07", stream)
            self.assertIn(b"mallory\\x1b]0;pwned\\x07\\x1b[31m/.otpgate", result.stdout)
        world.assert_in_local("mallory")

    def test_only_root_migrates_and_the_command_line_is_checked(self):
        world, sandbox = self.world, self.sandbox
        as_alice = sandbox.run(["store", "migrate", "--to", "local", "--user", "alice"],
                               as_uid=world.uids["alice"])
        self.assertEqual(as_alice.returncode, 4, as_alice.stderr)
        self.assertIn(b"only root can move enrollments between stores", as_alice.stderr)
        for args in (["--to", "local"], ["--to", "local", "--all", "--user", "alice"],
                     ["--to", "nowhere", "--all"], ["--all"]):
            result = world.migrate(*args)
            self.assertEqual(result.returncode, 2, (args, result.stderr))

    def test_a_move_killed_at_any_point_leaves_every_user_logging_in(self):
        world, sandbox = self.world, self.sandbox
        world.set_store("files")
        users = sorted(world.uids)
        self.assertEqual(len(users), 8)
        for user in users:
            world.enroll_totp(user)
        sandbox.advance(30)
        for user in users:
            world.log_in_now(user)

        # How long a whole move takes here, each way.
        durations = {}
        for to in ("local", "files"):
            started = time.monotonic()
            result = world.migrate("--to", to, "--all")
            durations[to] = time.monotonic() - started
            self.assertEqual(result.returncode, 0, result.stderr)
        rng = random.Random(int(os.environ.get("OTPGATE_TEST_SEED", "15")))
        cut_short = 0  # trials killed with some users moved and some not
        for trial in range(KILL_TRIALS):
            to = "local" if trial % 2 == 0 else "files"
            destination = world.local_file if to == "local" else world.files_file
            # Half the kills come after a random delay, as an operator's would;
            # the other half once a random number of new copies is written,
            # so that many land inside the move, however fast it is here.
            by_progress = (trial // 2) % 2 == 1
            delay = rng.uniform(0, durations[to])
            written = rng.randint(1, len(users) - 1)
            started = time.monotonic()
            with subprocess.Popen(sandbox.command(["store", "migrate", "--to", to, "--all"]),
                                  env=sandbox.env(), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) as process:
                if by_progress:
                    while (sum(os.path.exists(destination(user)) for user in users) < written
                           and process.poll() is None):
                        pass
                else:
                    time.sleep(delay)
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
            where = "trial %d (to %s, killed after %.3f s%s)" % (
                trial, to, time.monotonic() - started,
                ", %d copies written" % written if by_progress else "")
            copies = [(os.path.exists(world.files_file(user)),
                       os.path.exists(world.local_file(user))) for user in users]
            self.assertNotIn((False, False), copies, where + ": a user has no enrollment")
            done = (False, True) if to == "local" else (True, False)
            cut_short += copies.count(done) not in (0, len(users)) or (True, True) in copies
            print("%s: %d of %d users moved, %d with two copies"
                  % (where, copies.count(done), len(users), copies.count((True, True))))
            for kind in ("files", "local"):
                world.set_store(kind)
                sandbox.advance(30)
                for user in users:
                    self.assertNotEqual(world.log_in(user, world.spent[user]), 0,
                                        "%s, store = %s: a spent code of %s works again"
                                        % (where, kind, user))
                    self.assertEqual(world.log_in(user, world.code(user)), 0,
                                     "%s, store = %s: user %s cannot log in" % (where, kind, user))
                    world.spent[user] = world.code(user)
            finished = world.migrate("--to", to, "--all")
            self.assertEqual(finished.returncode, 0, where + ": " + finished.stderr.decode())
            for user in users:
                (world.assert_in_local if to == "local" else world.assert_in_files)(user)
        # Kills must land inside a move, or this test proves little.
        self.assertGreaterEqual(cut_short, KILL_TRIALS // 4, "too few kills inside a move")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    parser.add_argument("--module", required=True)
    options, rest = parser.parse_known_args()
    OTPGATE = os.path.abspath(options.otpgate)
    MODULE = os.path.abspath(options.module)
    cli_sandbox.require("oathtool", "pamtester", "setpriv")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
