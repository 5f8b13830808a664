"""`otpgate store import` and `otpgate log` against a real PostgreSQL 15
(tests/servers/postgres_server.py), on a simulated host whose enrollment of
root was made by `otpgate import google-authenticator` in the files and in
the local store: the import seals it (pg_dump, the oracle, holds neither
the secret nor a backup code), carries the spent step over, says "already
imported" the second time, and reports a different enrollment as a
conflict, leaving the database's as it was. `otpgate log` prints the
events, oldest first, each field made safe for the terminal.

Usage: test_store_import_log.py --otpgate PATH. Needs root and
postgresql-15: without root it is skipped (77).
"""
import base64
import hashlib
import hmac
import os
import struct
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
sys.path.insert(0, HERE)
import postgres_server as pg  # noqa: E402
from fleet import run_store_tests  # noqa: E402
from store_host import SimulatedHost, store_url  # noqa: E402

ARGS = None
USER = "root"  # the one account every machine has; its files live in the host's folder


def totp(secret, at=None):
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (number % 1000000)


class StoreImportLog(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = pg.PostgresServer()
        cls.server.start()
        cls.owner_uri = cls.server.uri(pg.OWNER)
        cls.login_uri = cls.server.uri(pg.LOGIN)
        init_host = SimulatedHost(ARGS.otpgate, cls.server)
        try:
            init = init_host.init()
        finally:
            init_host.cleanup()
        if init.returncode != 0:
            raise AssertionError("store init: " + init.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.as_owner("DELETE FROM otpgate.enrollments; DELETE FROM otpgate.user_states; "
                      "DELETE FROM otpgate.audit_log")
        self.host = SimulatedHost(ARGS.otpgate, self.server)
        self.addCleanup(self.host.cleanup)

    def as_owner(self, sql):
        result = self.server.psql(self.owner_uri, sql)
        if result.returncode != 0:
            raise AssertionError("as owner: %s: %s" % (sql, result.stderr))
        return result.stdout.strip()

    def configure(self, store, enrollment_path=None):
        """`enrollment_path` in the host's folder, which only root can enter
        (the local store reads it too, when root's copy is missing)."""
        self.host.write_config(store, store_url(self.server), [
            "enrollment_path = " + (enrollment_path or
                                    os.path.join(self.host.root, "%u.otpgate"))])

    def enroll_locally(self, store):
        """root's TOTP enrollment on this host, as google-authenticator made
        it; returns the secret and the scratch codes."""
        self.configure(store)
        secret = os.urandom(20)
        # Scratch codes have 8 digits, the first not 0, as google-authenticator makes them.
        scratch = ["%d" % (10**7 + int.from_bytes(os.urandom(4), "big") % (9 * 10**7))
                   for _ in range(5)]
        used_step = int(time.time()) // 30 - 2
        path = os.path.join(self.host.root, "google_authenticator")
        with open(path, "w", encoding="ascii") as f:
            f.write(base64.b32encode(secret).decode() + "\n\" TOTP_AUTH\n" +
                    "\" DISALLOW_REUSE %d\n" % used_step +
                    "".join(code + "\n" for code in scratch))
        os.chmod(path, 0o400)
        made = self.host.run("import", "google-authenticator", "--user", USER, "--force", path,
                             stdin_text=totp(secret) + "\n")
        os.unlink(path)
        self.assertEqual(made.returncode, 0, made.stdout + made.stderr)
        return secret, scratch

    def import_(self, store, *extra):
        self.configure("postgresql")
        return self.host.run("store", "import", "--from", store, "--user", USER, *extra)

    def pg_dump(self):
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.host.root,
               "PGPASSFILE": "/nonexistent"}
        dump = subprocess.run([os.path.join(pg.BIN, "pg_dump"), "--data-only", "-d",
                               self.owner_uri], capture_output=True, text=True, env=env,
                              timeout=30)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        return dump.stdout

    def check_imported_and_sealed(self, store):
        secret, scratch = self.enroll_locally(store)
        dry = self.import_(store, "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stdout + dry.stderr)
        self.assertIn("would import", dry.stdout)
        self.assertEqual(self.as_owner("SELECT count(*) FROM otpgate.enrollments"), "0")

        first = self.import_(store)
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        self.assertIn("user root: imported the enrollment and login state", first.stdout)
        self.assertIn("copies were not removed", first.stdout)
        row = self.as_owner("SELECT e.method, e.enrollment_id = s.enrollment_id, "
                            "s.last_totp_step IS NOT NULL FROM otpgate.enrollments e "
                            "JOIN otpgate.user_states s USING (user_name) "
                            "WHERE user_name = 'root'")
        # The step google-authenticator saw used came along, spent.
        self.assertEqual(row, "totp|t|t")

        dump = self.pg_dump()
        self.assertIn("root", dump)
        b32 = base64.b32encode(secret).decode()
        for needle in (b32, b32.lower(), b32.rstrip("="), secret.hex(), *scratch):
            self.assertNotIn(needle, dump)

        # The shared store's copy works where the host's did: store check opens it.
        check = self.host.run("store", "check")
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("store_key: opens the enrollment of user root", check.stdout)

        again = self.import_(store)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("user root: already imported", again.stdout)
        return secret

    def test_import_from_files(self):
        self.check_imported_and_sealed("files")
        self.assertTrue(os.path.exists(os.path.join(self.host.root, "root.otpgate")))

    def test_import_from_local(self):
        self.check_imported_and_sealed("local")
        self.assertTrue(os.path.exists(os.path.join(self.host.state_dir, ".enrollments",
                                                    "root")))

    def test_import_all_from_local(self):
        self.enroll_locally("local")
        # --all visits every account: their own files are nowhere, as
        # %h/.otpgate of accounts without a home would be.
        self.configure("postgresql", "/nonexistent/%u.otpgate")
        every = self.host.run("store", "import", "--from", "local", "--all")
        self.assertEqual(every.returncode, 0, every.stdout + every.stderr)
        # Accounts without an enrollment here go unmentioned.
        self.assertEqual(every.stdout.splitlines()[0].split(":")[0], "user root")
        self.assertIn("1 imported, 0 already imported, 0 conflicts, 0 errors.", every.stdout)
        self.assertEqual(self.as_owner("SELECT user_name FROM otpgate.enrollments"), "root")

    def test_a_different_enrollment_is_a_conflict_and_left_alone(self):
        self.check_imported_and_sealed("files")
        before = self.as_owner("SELECT enrollment_id, encode(sealed, 'hex'), updated_at "
                               "FROM otpgate.enrollments")
        self.enroll_locally("files")  # another secret on this host
        conflict = self.import_("files")
        self.assertEqual(conflict.returncode, 6, conflict.stdout + conflict.stderr)
        self.assertIn("user root: CONFLICT", conflict.stdout)
        self.assertIn("1 conflict", conflict.stdout)
        self.assertEqual(self.as_owner("SELECT enrollment_id, encode(sealed, 'hex'), updated_at "
                                       "FROM otpgate.enrollments"), before)

    def test_log_prints_events_oldest_first_and_safely(self):
        self.check_imported_and_sealed("files")
        planted = self.server.psql(
            self.login_uri,
            "INSERT INTO otpgate.audit_log (at, host_name, service, user_name, remote_host, "
            "event, outcome) VALUES (now() + interval '1 second', E'evil\\x1b[2Jhost', 'sshd', "
            "'alice', '192.0.2.7', 'login', 'refused')")
        self.assertEqual(planted.returncode, 0, planted.stderr)
        log = self.host.run("log")
        self.assertEqual(log.returncode, 0, log.stderr)
        lines = log.stdout.splitlines()
        self.assertRegex(lines[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ host-a otpgate root - "
                                   r"import done$")
        self.assertRegex(lines[-1], r"Z evil\\x1b\[2Jhost sshd alice 192\.0\.2\.7 login "
                                    r"refused$")
        self.assertNotIn("\x1b", log.stdout)

        only_alice = self.host.run("log", "--user", "alice", "--since", "1h")
        self.assertEqual(only_alice.returncode, 0, only_alice.stderr)
        self.assertEqual(len(only_alice.stdout.splitlines()), 1, only_alice.stdout)
        only_a = self.host.run("log", "--host", "host-a", "--since", "2020-01-01")
        self.assertTrue(only_a.stdout.strip())
        self.assertNotIn("alice", only_a.stdout)
        future = self.host.run("log", "--since", "2999-01-01T00:00:00Z")
        self.assertEqual(future.stdout, "")
        bad = self.host.run("log", "--since", "yesterday")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--since", bad.stderr)

    def test_log_needs_the_shared_store(self):
        self.configure("files")
        log = self.host.run("log")
        self.assertEqual(log.returncode, 5, log.stderr)
        self.assertIn("only with store = postgresql", log.stderr)


if __name__ == "__main__":
    run_store_tests(globals())
