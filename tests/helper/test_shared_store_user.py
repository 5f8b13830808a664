"""store = postgresql: an ordinary user's second factor lives in the shared
store, and the user changes it through otpgate-verify alone.

The world of test_verify_helper.py (real users, the helper installed
set-uid root, pamtester logins through the real pam_otpgate.so), with every
configuration pointing at a throwaway PostgreSQL server of its own
(tests/servers/postgres_server.py) and the store's password and key in a
credentials file only root can read: the user's own `otpgate` cannot reach
the database, the helper does it for them.

Usage: test_shared_store_user.py --helper ... --config ... --otpgate ... --module ...
"""

import argparse
import os
import subprocess
import sys
import unittest

import pexpect

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
import test_verify_helper as helper_test  # noqa: E402  (World, journeys, arguments)
import cli_sandbox  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402

USER = "otpgvh1"
SERVER = None


class SharedStoreWorld(helper_test.World):
    """test_verify_helper's world, every configuration with store = postgresql."""

    def __init__(self):
        super().__init__()
        self.secrets = os.path.join(self.root, "otpgate.secrets")
        fd = os.open(self.secrets, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("store_password = %s\nstore_key = %s\n"
                    % (SERVER.passwords["otpgate_login"], os.urandom(32).hex()))

    def configure(self, extra=()):
        url = ("postgresql://otpgate_login@127.0.0.1:%d/otpgate?sslmode=verify-full&sslrootcert=%s"
               % (SERVER.port, SERVER.ca_file))
        super().configure(["store = postgresql", "store_url = " + url,
                           "credentials_file = " + os.path.join(self.root, "otpgate.secrets"),
                           "host_name = helper-host"] + list(extra))

    def reset(self):
        super().reset()
        if SERVER is not None and self.owner_sql("SELECT to_regclass('otpgate.user_states')"):
            self.owner_sql("DELETE FROM otpgate.user_states; DELETE FROM otpgate.enrollments")

    def owner_sql(self, sql):
        result = SERVER.psql(SERVER.uri("otpgate_owner"), sql)
        if result.returncode != 0:
            raise AssertionError(result.stderr)
        return result.stdout.strip()


class SharedStoreUserTest(helper_test.HelperJourneys):
    def run_to_end(self, child, status=0):
        child.expect(pexpect.EOF)
        output = child.before
        child.close()
        self.assertEqual(child.exitstatus, status, output)
        return output

    def test_the_user_cannot_reach_the_store_but_the_helper_does_it_for_them(self):
        world = helper_test.WORLD
        # The user cannot read the store's password and key.
        reading = subprocess.run(world.as_user(USER, ["cat", world.secrets]),
                                 capture_output=True, env=world.user_env(USER), timeout=30)
        self.assertNotEqual(reading.returncode, 0)

        status = self.run_to_end(self.track(world.cli(USER, ["status"])), 3)
        self.assertIn("you are not enrolled", status)
        secret = self.enroll_totp(USER)
        self.assertEqual(world.owner_sql(
            "SELECT method FROM otpgate.enrollments WHERE user_name = '%s'" % USER), "totp")
        sealed = world.owner_sql("SELECT encode(sealed, 'hex') FROM otpgate.enrollments")
        raw = subprocess.run(["/usr/bin/base32", "-d"],
                             input=(secret + "=" * (-len(secret) % 8)).encode(),
                             stdout=subprocess.PIPE, check=True).stdout
        self.assertNotIn(raw.hex(), sealed)
        self.assertRegex(self.run_to_end(self.track(world.cli(USER, ["status"]))),
                         r"Method: +TOTP")

        world.configure(["max_attempts = 1"])
        helper_test.settle_into_a_step()
        current = helper_test.totp(secret)
        login = self.track(world.pamtester(USER))
        login.expect_exact("Verification code: ")
        login.sendline(current)
        login.expect_exact("successfully authenticated")
        self.assert_spent(USER, current)  # a replay

        # Disabling asks for a code first, then removes the row.
        following = helper_test.totp(secret, offset=30)
        child = self.track(world.cli(USER, ["disable"]))
        child.expect_exact("Verification code: ")
        child.sendline(following)
        self.run_to_end(child)
        self.assertEqual(world.owner_sql("SELECT count(*) FROM otpgate.enrollments"), "0")
        events = world.owner_sql("SELECT service || ' ' || event FROM otpgate.audit_log "
                                 "WHERE user_name = '%s' ORDER BY id" % USER)
        self.assertIn("otpgate-verify enabled", events)
        self.assertIn("otpgate-verify disabled", events)
        self.assertIn("otpgate login", events)


def main():
    global SERVER
    parser = argparse.ArgumentParser()
    for name in ("--helper", "--config", "--otpgate", "--module"):
        parser.add_argument(name, required=True)
    helper_test.ARGS, rest = parser.parse_known_args()
    cli_sandbox.require("oathtool", "pamtester", "setpriv", "useradd", "userdel")
    SERVER = PostgresServer()
    SERVER.start()
    try:
        helper_test.WORLD = SharedStoreWorld()
        init = subprocess.run(
            [helper_test.ARGS.otpgate, "--config", helper_test.ARGS.config, "store", "init",
             "--owner", "otpgate_owner"], capture_output=True, text=True, timeout=60,
            env={"PATH": "/usr/bin:/bin",
                 "OTPGATE_STORE_OWNER_PASSWORD": SERVER.passwords["otpgate_owner"]})
        if init.returncode != 0:
            raise SystemExit("store init: " + init.stdout + init.stderr)
        try:
            unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
        finally:
            helper_test.WORLD.cleanup()
    finally:
        SERVER.stop()


if __name__ == "__main__":
    main()
