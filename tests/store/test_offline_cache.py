#!/usr/bin/python3
"""store_offline = cache through the real module: a user who logged in on a
host goes on logging in there while the shared store is frozen (SIGSTOP)
or refuses connections, against the host's sealed copy, with replays refused on the host; a user
with no copy, or with one older than store_cache_ttl (libfaketime moves
the login's clock), is refused, and so is everyone with store_offline =
deny. Once the store answers again the host writes back what it recorded,
so a code spent offline is refused on another host. The copy is root's
0600 file in a 0700 folder, holds no secret in clear, and a symbolic link
in its place is neither followed nor written through."""
import base64
import hashlib
import hmac
import os
import stat
import struct
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
sys.path.insert(0, HERE)

from fleet import run_store_tests, USERS, FleetHost  # noqa: E402
import cli_sandbox  # noqa: E402  (fleet put tests/support on the path)
from pgbouncer_server import PgbouncerServer  # noqa: E402
from postgres_server import PostgresServer, free_port  # noqa: E402
from store_host import store_url  # noqa: E402

ARGS = None
FAKETIME_LIBRARY = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
PERIOD = 30
# Every code of a test is of a step fixed when it starts (base + k): a wide
# window keeps them valid while the test runs, whatever step it ends in.
# The store timeout is what each login during a freeze waits: short, but
# long enough for a TLS and SCRAM connection on a busy machine, three
# times so under the sanitizers (OTPGATE_TEST_PRELOAD names their runtime).
STORE_TIMEOUT_MS = 1500 * (3 if os.environ.get("OTPGATE_TEST_PRELOAD") else 1)
OFFLINE_LINES = ["store_timeout_ms = %d" % STORE_TIMEOUT_MS, "store_cache_ttl = 60",
                 "totp_window = 3"]


def host_lines(offline="cache"):
    """FleetHost's lines after store_url, for SimulatedHost.write_config."""
    return ["fail_delay_ms = 0", "max_attempts = 1", "nullok = no",
            "store_offline = " + offline, *OFFLINE_LINES]


def current_step(shift_seconds=0):
    return (int(time.time()) + shift_seconds) // PERIOD


def code_of_step(secret_base32, step):
    key = base64.b32decode(secret_base32.upper())
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** 6).zfill(6)


class OfflineCache(unittest.TestCase):
    server = None
    pooler = None
    a = None  # store_offline = cache
    b = None  # another host of the fleet
    c = None  # store_offline = cache, behind pgbouncer (the recommended deployment)

    @classmethod
    def setUpClass(cls):
        cls.server = PostgresServer()
        cls.server.start()
        cls.a = FleetHost(ARGS.otpgate, ARGS.module, cls.server, "host-a",
                          extra_lines=["store_offline = cache", *OFFLINE_LINES])
        cls.b = FleetHost(ARGS.otpgate, ARGS.module, cls.server, "host-b", key=cls.a.key,
                          extra_lines=["store_offline = cache", *OFFLINE_LINES])
        cls.pooler = PgbouncerServer(cls.server)
        cls.pooler.start()
        cls.c = FleetHost(ARGS.otpgate, ARGS.module, cls.server, "host-c", key=cls.a.key,
                          url=cls.pooler.conninfo(),
                          extra_lines=["store_offline = cache", *OFFLINE_LINES])
        init = cls.a.init()
        if init.returncode != 0:
            raise AssertionError("store init: " + init.stdout + init.stderr)

    @classmethod
    def tearDownClass(cls):
        for host in (cls.a, cls.b, cls.c):
            if host:
                host.cleanup()
        if cls.pooler:
            cls.pooler.stop()
        if cls.server:
            cls.server.stop()

    def owner_sql(self, sql):
        result = self.server.psql(self.server.uri("otpgate_owner"), sql)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def cache_path(self, host, user):
        return os.path.join(host.state_dir, ".store-cache", user)

    def assert_login(self, host, user, code, allowed, why, env=None):
        if env:
            process = subprocess.Popen(["pamtester", "-v", "login", user, "authenticate"],
                                       env=dict(host.login_env(), **env), stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            output, _ = process.communicate((code + "\n").encode(), timeout=60)
            status, output = process.returncode, output.decode(errors="replace")
        else:
            status, output = host.login(user, code)
        self.assertEqual(status, 0 if allowed else 1,
                         why + " (0: let in, 1: refused, anything else a crash): " + output)
        return output

    def enrolled_and_logged_in_on_a(self, user):
        """Enrolled, then one login on host A with the store up: returns
        (secret, base step); step base + 1 is spent."""
        secret = self.a.enroll_totp(user)
        base = current_step()
        self.assert_login(self.a, user, code_of_step(secret, base + 1), True, "online on A")
        return secret, base

    def frozen(self):
        test = self

        class Frozen:
            def __enter__(self):
                test.server.freeze()

            def __exit__(self, *_):
                test.server.thaw()
        return Frozen()

    def test_a_recent_user_logs_in_offline_replays_refused_and_written_back(self):
        user = USERS[0]
        secret, base = self.enrolled_and_logged_in_on_a(user)
        spent_offline = code_of_step(secret, base + 2)
        with self.frozen():
            # The code used online just before the outage stays spent here.
            self.assert_login(self.a, user, code_of_step(secret, base + 1), False,
                              "the step spent online, offline")
            output = self.assert_login(self.a, user, spent_offline, True,
                                       "a fresh code, offline on A",
                                       env={"PAM_WRAPPER_DEBUGLEVEL": "1"})  # warnings shown
            self.assertIn("user %s logs in against this host's cached enrollment" % user, output)
            self.assert_login(self.a, user, spent_offline, False, "its replay, offline on A")
            self.assertTrue(os.path.exists(os.path.join(self.a.state_dir, ".store-offline", user)))
            # store_offline = deny: the same outage refuses the same user.
            self.a.write_config("postgresql", store_url(self.server), host_lines("deny"))
            try:
                self.assert_login(self.a, user, code_of_step(secret, base + 3), False,
                                  "store_offline = deny")
            finally:
                self.a.write_config("postgresql", store_url(self.server), host_lines())
        # The next connection from A writes back what A recorded.
        listed = self.a.run("list")
        self.assertEqual(listed.returncode, 0, listed.stdout + listed.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.a.state_dir, ".store-offline", user)),
                         "written back, the offline state is removed")
        row = self.owner_sql("SELECT last_totp_step, cardinality(recent_failures) FROM "
                             "otpgate.user_states WHERE user_name = '%s'" % user)
        step, failures = row.split("|")
        self.assertEqual(int(step), base + 2, row)
        self.assertGreaterEqual(int(failures), 1, "the replay refused offline: " + row)
        self.assert_login(self.b, user, spent_offline, False, "the code spent offline, on B")
        self.assert_login(self.b, user, code_of_step(secret, base + 3), True, "a fresh one, on B")

        # The copy: root's, private, sealed.
        path = self.cache_path(self.a, user)
        info = os.lstat(path)
        self.assertTrue(stat.S_ISREG(info.st_mode))
        self.assertEqual((info.st_uid, stat.S_IMODE(info.st_mode)), (0, 0o600))
        folder = os.lstat(os.path.dirname(path))
        self.assertEqual((folder.st_uid, stat.S_IMODE(folder.st_mode)), (0, 0o700))
        with open(path, "rb") as f:
            content = f.read()
        raw = base64.b32decode(secret.upper())
        for form in (secret.encode(), secret.lower().encode(), raw.hex().encode(),
                     raw.hex().upper().encode(), raw):
            self.assertNotIn(form, content)

        # Disabled on this host: the copy goes with the enrollment.
        disabled = self.a.run("disable", "--user", user)
        self.assertEqual(disabled.returncode, 0, disabled.stdout + disabled.stderr)
        self.assertFalse(os.path.exists(path))

    def test_a_stopped_store_refusing_connections_is_an_outage_too(self):
        user = USERS[4]
        secret, base = self.enrolled_and_logged_in_on_a(user)
        # Nothing listens on that port: every connection is refused at once.
        self.a.write_config("postgresql", store_url(self.server, port=free_port()),
                            host_lines())
        try:
            self.assert_login(self.a, user, code_of_step(secret, base + 2), True,
                              "offline on A, the store refusing connections")
            self.assert_login(self.a, user, code_of_step(secret, base + 2), False, "its replay")
        finally:
            self.a.write_config("postgresql", store_url(self.server), host_lines())
        listed = self.a.run("list")
        self.assertEqual(listed.returncode, 0, listed.stdout + listed.stderr)
        self.assertEqual(self.owner_sql("SELECT last_totp_step FROM otpgate.user_states "
                                        "WHERE user_name = '%s'" % user), str(base + 2))

    def test_a_database_frozen_behind_pgbouncer_is_an_outage_too(self):
        # pgbouncer on the host still answers; the database behind it does not.
        user = USERS[5]
        secret = self.c.enroll_totp(user)
        base = current_step()
        self.assert_login(self.c, user, code_of_step(secret, base + 1), True,
                          "online on C, through pgbouncer")
        with self.frozen():
            output = self.assert_login(self.c, user, code_of_step(secret, base + 2), True,
                                       "offline on C: pgbouncer up, the database frozen",
                                       env={"PAM_WRAPPER_DEBUGLEVEL": "1"})
            self.assertIn("user %s logs in against this host's cached enrollment" % user, output)
            self.assert_login(self.c, user, code_of_step(secret, base + 2), False,
                              "its replay, offline on C")
        # The next connection from C writes back: the code is spent on A too.
        listed = self.c.run("list")
        self.assertEqual(listed.returncode, 0, listed.stdout + listed.stderr)
        self.assert_login(self.a, user, code_of_step(secret, base + 2), False,
                          "the code spent offline on C, on A")

    def test_a_user_without_a_copy_here_is_refused_offline(self):
        user = USERS[1]
        secret = self.b.enroll_totp(user)
        base = current_step()
        self.assert_login(self.b, user, code_of_step(secret, base + 1), True, "online on B")
        self.assertFalse(os.path.exists(self.cache_path(self.a, user)))
        with self.frozen():
            self.assert_login(self.a, user, code_of_step(secret, base + 2), False,
                              "no login on A before the outage")
            self.assert_login(self.b, user, code_of_step(secret, base + 2), True,
                              "B has a copy of its own")

    def test_a_copy_older_than_store_cache_ttl_is_refused_and_removed(self):
        user = USERS[2]
        secret, base = self.enrolled_and_logged_in_on_a(user)
        shift = 120  # seconds; store_cache_ttl is 60
        with self.frozen():
            self.assert_login(self.a, user, code_of_step(secret, current_step(shift)), False,
                              "two minutes later by the login's clock",
                              env={"LD_PRELOAD": cli_sandbox.preload("libpam_wrapper.so",
                                                                     FAKETIME_LIBRARY),
                                   "FAKETIME": "+%ds" % shift,
                                   "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
            self.assertFalse(os.path.exists(self.cache_path(self.a, user)),
                             "a copy too old is removed")
            self.assert_login(self.a, user, code_of_step(secret, base + 2), False,
                              "and nothing brings it back offline")

    def test_a_symbolic_link_in_place_of_the_copy_is_refused_and_not_written_through(self):
        user = USERS[3]
        secret, base = self.enrolled_and_logged_in_on_a(user)
        path = self.cache_path(self.a, user)
        moved = os.path.join(self.a.root, "moved-copy")
        os.rename(path, moved)
        os.symlink(moved, path)
        with self.frozen():
            self.assert_login(self.a, user, code_of_step(secret, base + 2), False,
                              "the copy behind a symbolic link")
        victim = os.path.join(self.a.root, "victim")
        with open(victim, "w", encoding="ascii") as f:
            f.write("untouched\n")
        os.unlink(path)
        os.symlink(victim, path)
        self.assert_login(self.a, user, code_of_step(secret, base + 3), True, "online again")
        with open(victim, encoding="ascii") as f:
            self.assertEqual(f.read(), "untouched\n")
        self.assertTrue(stat.S_ISREG(os.lstat(path).st_mode), "the link is replaced, not followed")


if __name__ == "__main__":
    run_store_tests(globals())
