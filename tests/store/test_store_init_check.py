"""`otpgate store init` and `otpgate store check` against a real PostgreSQL 15
(tests/servers/postgres_server.py): init creates the schema at version 1 and
grants the login role only what logins need; a second init changes nothing;
a newer schema is refused; check reports TLS, the server and the schema, and
fails with a reason for a wrong password, a server that is down and a newer
schema; --new-key prints a key store_key accepts.

Usage: test_store_init_check.py --otpgate PATH. Needs root and postgresql-15:
without root it is skipped (77).
"""
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
sys.path.insert(0, HERE)
import postgres_server as pg  # noqa: E402
from fleet import run_store_tests  # noqa: E402
from store_host import SimulatedHost, store_url  # noqa: E402

ARGS = None


class StoreInitCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = pg.PostgresServer()
        cls.server.start()
        cls.owner_uri = cls.server.uri(pg.OWNER)
        cls.login_uri = cls.server.uri(pg.LOGIN)
        # store init makes the schema itself when it is missing.
        cls.as_owner("DROP SCHEMA otpgate")
        cls.host = SimulatedHost(ARGS.otpgate, cls.server)
        cls.check_before_init = cls.host.run("store", "check")
        first = cls.host.init()
        cls.first_init = first

    @classmethod
    def tearDownClass(cls):
        cls.host.cleanup()
        cls.server.stop()

    @classmethod
    def as_owner(cls, sql):
        result = cls.server.psql(cls.owner_uri, sql)
        if result.returncode != 0:
            raise AssertionError("as owner: %s: %s" % (sql, result.stderr))
        return result.stdout.strip()

    def as_login(self, sql):
        return self.server.psql(self.login_uri, sql)

    def login_may(self, sql):
        result = self.as_login(sql)
        self.assertEqual(result.returncode, 0, "%s: %s" % (sql, result.stderr))

    def login_may_not(self, sql):
        result = self.as_login(sql)
        self.assertNotEqual(result.returncode, 0, sql + " was allowed")
        self.assertRegex(result.stderr, "permission denied|must be owner", sql)

    def test_init_creates_version_1_and_a_second_init_changes_nothing(self):
        self.assertEqual(self.first_init.returncode, 0, self.first_init.stderr)
        self.assertIn("created schema version 1", self.first_init.stdout)
        self.assertEqual(self.as_owner("SELECT max(version) FROM otpgate.schema_version"), "1")
        before = self.as_owner("SELECT version, applied_at FROM otpgate.schema_version")
        tables = self.as_owner("SELECT count(*) FROM pg_tables WHERE schemaname = 'otpgate'")
        second = self.host.init()
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("already at version 1", second.stdout)
        self.assertEqual(self.as_owner("SELECT version, applied_at FROM otpgate.schema_version"),
                         before)
        self.assertEqual(
            self.as_owner("SELECT count(*) FROM pg_tables WHERE schemaname = 'otpgate'"), tables)
        self.assertEqual(self.as_owner("SELECT count(*) FROM otpgate.sms_reservation"), "1")

    def test_check_before_init_says_to_run_it(self):
        check = self.check_before_init
        self.assertEqual(check.returncode, 6, check.stdout + check.stderr)
        self.assertIn("schema: FAILED: the shared store has no otpgate schema: run otpgate "
                      "store init", check.stdout)
        self.assertIn("otpgate: error: schema: the shared store has no otpgate schema",
                      check.stderr)

    def test_the_login_role_cannot_change_the_schema(self):
        self.login_may_not("CREATE TABLE otpgate.planted (x integer)")
        self.login_may_not("ALTER TABLE otpgate.enrollments ADD COLUMN planted text")
        self.login_may_not("DROP TABLE otpgate.user_states")
        self.login_may_not("TRUNCATE otpgate.audit_log")
        self.login_may_not("TRUNCATE otpgate.enrollments")
        self.login_may_not("DELETE FROM otpgate.schema_version")
        self.login_may_not("CREATE INDEX planted ON otpgate.audit_log (event)")

    def test_the_login_role_appends_to_the_audit_log_and_never_rewrites_it(self):
        self.login_may("INSERT INTO otpgate.audit_log (host_name, service, user_name, event, "
                       "outcome) VALUES ('h', 'sshd', 'alice', 'login', 'success')")
        self.login_may("SELECT count(*) FROM otpgate.audit_log")
        self.login_may_not("UPDATE otpgate.audit_log SET outcome = 'refused'")
        self.login_may_not("DELETE FROM otpgate.audit_log")

    def test_the_login_role_can_do_what_logins_need(self):
        self.login_may("BEGIN; "
                       "INSERT INTO otpgate.user_states (user_name) VALUES ('probe'); "
                       "SELECT * FROM otpgate.user_states WHERE user_name = 'probe' FOR UPDATE; "
                       "UPDATE otpgate.user_states SET last_totp_step = 1 "
                       "WHERE user_name = 'probe'; "
                       "DELETE FROM otpgate.user_states WHERE user_name = 'probe'; "
                       "SELECT * FROM otpgate.sms_reservation FOR UPDATE; "
                       "INSERT INTO otpgate.sms_sends VALUES ('h', 1); "
                       "DELETE FROM otpgate.sms_sends WHERE sent_at = 1; "
                       "SELECT * FROM otpgate.enrollments; "
                       "SELECT * FROM otpgate.fleet_secrets; "
                       "SELECT max(version) FROM otpgate.schema_version; "
                       "ROLLBACK")

    def test_check_reports_a_good_setup(self):
        check = self.host.run("store", "check")
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertRegex(check.stdout, r"TLS: TLSv1\.[23] \S+, server certificate and name "
                                       r"verified")
        self.assertIn("server: PostgreSQL 15.", check.stdout)
        self.assertIn("schema: version 1", check.stdout)
        self.assertIn("rights: what logins need, and no more", check.stdout)
        self.assertIn("store_key: present, 256 bits", check.stdout)
        self.assertRegex(check.stdout, r"round trip: \d+\.\d\d ms")
        self.assertIn("port %d answered" % self.server.port, check.stdout)

    def test_check_warns_of_tls_without_verification(self):
        host = SimulatedHost(ARGS.otpgate, self.server,
                             url=store_url(self.server, sslmode="require"))
        try:
            check = host.run("store", "check")
        finally:
            host.cleanup()
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertRegex(check.stdout, r"TLS: WARNING: TLSv1\.[23] \S+, but store_url sets "
                                       r"sslmode=require")

    def test_check_fails_with_a_wrong_password(self):
        host = SimulatedHost(ARGS.otpgate, self.server, password="not-the-password")
        try:
            check = host.run("store", "check")
        finally:
            host.cleanup()
        self.assertNotEqual(check.returncode, 0)
        self.assertIn("connection: FAILED", check.stdout)
        self.assertIn("password authentication failed", check.stderr)

    def test_check_fails_when_the_server_is_down(self):
        down = pg.free_port()  # nothing listens there
        host = SimulatedHost(ARGS.otpgate, self.server, url=store_url(self.server, port=down))
        try:
            check = host.run("store", "check")
        finally:
            host.cleanup()
        self.assertNotEqual(check.returncode, 0)
        self.assertIn("connection: FAILED", check.stdout)
        self.assertRegex(check.stderr, "(?i)connection refused")

    def test_a_newer_schema_is_refused_by_init_and_reported_by_check(self):
        self.as_owner("INSERT INTO otpgate.schema_version (version) VALUES (99)")
        try:
            init = self.host.init()
            check = self.host.run("store", "check")
        finally:
            self.as_owner("DELETE FROM otpgate.schema_version WHERE version = 99")
        self.assertNotEqual(init.returncode, 0)
        self.assertIn("version 99, newer than this otpgate (1)", init.stderr)
        self.assertNotIn("schema version", init.stdout)
        self.assertNotEqual(check.returncode, 0)
        self.assertIn("schema: FAILED: the shared store's schema is at version 99", check.stdout)

    def test_init_refuses_the_owner_as_login_role_and_a_wrong_owner_password(self):
        host = SimulatedHost(ARGS.otpgate, self.server, url=store_url(self.server, role=pg.OWNER))
        try:
            as_owner = host.init()
            wrong = self.host.run("store", "init", "--owner", pg.OWNER,
                                  owner_password="Not-The-Owner-Password-7")
        finally:
            host.cleanup()
        self.assertNotEqual(as_owner.returncode, 0)
        self.assertIn("is the schema's owner", as_owner.stderr)
        self.assertNotEqual(wrong.returncode, 0)
        self.assertIn("password authentication failed", wrong.stderr)
        self.assertNotIn("Not-The-Owner-Password-7", wrong.stdout + wrong.stderr)

    def test_init_needs_store_url_to_name_the_login_role(self):
        # The owner connects to the database store_url names, as store_url's
        # user would: only its user changes (to --owner).
        unnamed = store_url(self.server).replace("otpgate_login@", "")
        host = SimulatedHost(ARGS.otpgate, self.server, url=unnamed)
        try:
            refused = host.init()
        finally:
            host.cleanup()
        self.assertEqual(refused.returncode, 5, refused.stdout + refused.stderr)
        self.assertIn("store_url names no user: it must name the login role", refused.stderr)

    def test_new_key_prints_a_key_store_key_accepts(self):
        printed = self.host.run("store", "init", "--new-key")
        self.assertEqual(printed.returncode, 0, printed.stderr)
        match = re.search(r"^store_key = ([0-9a-f]{64})$", printed.stdout, re.M)
        self.assertIsNotNone(match, printed.stdout)
        again = self.host.run("store", "init", "--new-key")
        self.assertNotEqual(re.search(r"store_key = (\w+)", again.stdout).group(1),
                            match.group(1))
        host = SimulatedHost(ARGS.otpgate, self.server, key=match.group(1))
        try:
            check = host.run("store", "check")
        finally:
            host.cleanup()
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("store_key: present, 256 bits", check.stdout)


if __name__ == "__main__":
    run_store_tests(globals())
