"""The throwaway PostgreSQL server the store tests stand on (tests/servers/postgres_server.py).

Through Debian's psql, against a real server: the login role connects only
with TLS, verified against the test CA, and with its SCRAM password; the
certificate role only with a client certificate of the test CA, holding the
login role's rights as its member; no other address listens; the login role may use the owner's schema but not
create in it; a frozen server answers nobody until thawed; and once
stopped, no server process, listener or folder is left.

Needs root and postgresql-15 (scripts/install-deps): without root it is
skipped (77); a missing PostgreSQL fails.
"""

import os
import socket
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
import postgres_server as pg  # noqa: E402

SSL_OF_THIS_BACKEND = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


def tcp_listeners(port):
    """Local addresses (hex, as the kernel writes them) listening on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                rows = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            fields = row.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # TCP_LISTEN
                found.append(address)
    return found


def connect_refused(family, address, port):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        try:
            s.connect((address, port))
        except (ConnectionRefusedError, OSError):
            return True
        return False


class PostgresServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = pg.PostgresServer()
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def run_ok(self, uri, sql):
        result = self.server.psql(uri, sql)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def refused(self, uri, sql="SELECT 1"):
        result = self.server.psql(uri, sql)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertEqual(result.stdout, "")
        return result.stderr

    def test_the_certificate_role_needs_a_client_certificate_of_the_test_ca(self):
        self.assertEqual(os.stat(self.server.client_key_file).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(self.server.client_key_file).st_uid, 0)
        self.assertEqual(self.run_ok(self.server.cert_uri(), "SELECT current_user"),
                         pg.CERT_LOGIN)
        self.assertEqual(self.run_ok(self.server.cert_uri(),
                                     "SELECT pg_has_role('%s', 'USAGE')" % pg.LOGIN), "t")
        self.assertIn("unknown ca", self.refused(self.server.cert_uri(
            self.server.rogue_client_cert_file, self.server.rogue_client_key_file)))
        # A password cannot stand in for the certificate (it has none anyway).
        without = self.server.uri(pg.LOGIN).replace(
            "//%s:" % pg.LOGIN, "//%s:" % pg.CERT_LOGIN, 1)
        self.assertIn("requires a valid client certificate", self.refused(without))
        # The login role's own certificate-less SCRAM login is unchanged.
        self.assertEqual(self.run_ok(self.server.uri(pg.LOGIN), "SELECT current_user"),
                         pg.LOGIN)

    def test_login_role_connects_with_verified_tls_to_this_server(self):
        uri = self.server.uri(pg.LOGIN)
        self.assertIn("sslmode=verify-full", uri)
        self.assertEqual(self.run_ok(uri, SSL_OF_THIS_BACKEND), "t")
        # This server, this role, this database: not some other PostgreSQL.
        self.assertEqual(
            self.run_ok(uri, "SELECT current_user || ' ' || current_database() || ' ' || "
                             "current_setting('port')"),
            "%s %s %d" % (pg.LOGIN, pg.DATABASE, self.server.port))
        self.assertEqual(self.server.admin_psql("SHOW data_directory").strip(),
                         os.path.realpath(self.server.data_dir))

    def test_passwords_are_stored_as_scram(self):
        stored = self.server.admin_psql(
            "SELECT rolname || ' ' || left(rolpassword, 14) FROM pg_authid "
            "WHERE rolname IN ('%s', '%s') ORDER BY rolname" % (pg.LOGIN, pg.OWNER))
        self.assertEqual(stored.split("\n")[:2],
                         ["%s SCRAM-SHA-256$" % pg.LOGIN, "%s SCRAM-SHA-256$" % pg.OWNER])

    def test_plain_tcp_is_refused(self):
        stderr = self.refused(self.server.uri(pg.LOGIN, sslmode="disable"))
        self.assertIn("no pg_hba.conf entry", stderr)
        self.assertIn("no encryption", stderr)

    def test_wrong_password_is_refused(self):
        for role in (pg.LOGIN, pg.OWNER):
            wrong = self.server.passwords[role] + "x"
            stderr = self.refused(self.server.uri(role, password=wrong))
            self.assertIn('password authentication failed for user "%s"' % role, stderr)

    def test_superuser_cannot_come_in_over_tcp(self):
        stderr = self.refused(self.server.uri("postgres", password="postgres"))
        self.assertIn('password authentication failed for user "postgres"', stderr)

    def test_a_server_certificate_from_another_ca_is_refused(self):
        rogue = os.path.join(self.server.pki_dir, "rogue-ca.pem")
        stderr = self.refused(self.server.uri(pg.LOGIN, sslrootcert=rogue))
        self.assertIn("certificate verify failed", stderr)

    def test_only_127_0_0_1_listens(self):
        # 0100007F is 127.0.0.1 in /proc/net/tcp's byte order.
        self.assertEqual(tcp_listeners(self.server.port), ["0100007F"])
        self.assertTrue(connect_refused(socket.AF_INET, "127.0.0.2", self.server.port))
        self.assertTrue(connect_refused(socket.AF_INET6, "::1", self.server.port))
        self.assertFalse(connect_refused(socket.AF_INET, "127.0.0.1", self.server.port))
        stderr = self.refused(self.server.uri(pg.LOGIN, host="127.0.0.2"))
        self.assertIn("Connection refused", stderr)

    def test_login_role_uses_but_cannot_create_in_the_owners_schema(self):
        owner = self.server.uri(pg.OWNER)
        login = self.server.uri(pg.LOGIN)
        self.run_ok(owner, "CREATE TABLE otpgate.probe (n int); "
                           "INSERT INTO otpgate.probe VALUES (7); "
                           "GRANT SELECT ON otpgate.probe TO %s" % pg.LOGIN)
        self.assertEqual(self.run_ok(login, "SELECT n FROM otpgate.probe"), "7")
        stderr = self.refused(login, "CREATE TABLE otpgate.mine (n int)")
        self.assertIn("permission denied for schema otpgate", stderr)
        stderr = self.refused(login, "CREATE TABLE public.mine (n int)")
        self.assertIn("permission denied for schema public", stderr)
        self.assertEqual(self.run_ok(login, "SELECT has_schema_privilege('otpgate', 'USAGE'), "
                                            "has_schema_privilege('otpgate', 'CREATE')"), "t|f")

    def test_a_frozen_server_answers_once_thawed(self):
        uri = self.server.uri(pg.LOGIN).replace("connect_timeout=5", "connect_timeout=2")
        self.server.freeze()
        try:
            started = time.monotonic()
            stderr = self.refused(uri)
            self.assertGreaterEqual(time.monotonic() - started, 1.5)
            self.assertIn("timeout", stderr)
        finally:
            self.server.thaw()
        self.assertEqual(self.run_ok(uri, SSL_OF_THIS_BACKEND), "t")


class StopTest(unittest.TestCase):
    def check_gone(self, root, port, pids):
        self.assertFalse(os.path.exists(root))
        self.assertEqual(tcp_listeners(port), [])
        alive = [pid for pid in pids if pg.process_alive(pid)]
        self.assertEqual(alive, [])

    def start_with_a_backend(self):
        server = pg.PostgresServer()
        server.start()
        self.addCleanup(server.stop)
        # A session that stays open: stop must end its backend too.
        session = subprocess.Popen(
            [os.path.join(pg.BIN, "psql"), "-X", "-q", "-d", server.uri(pg.LOGIN),
             "-c", "SELECT pg_sleep(60)"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin", "HOME": server.root})
        self.addCleanup(session.wait, 10)
        self.addCleanup(session.kill)  # cleanups run last first
        deadline = time.monotonic() + 10
        backend = ""
        while not backend:
            self.assertLess(time.monotonic(), deadline, "the session never started")
            time.sleep(0.02)
            backend = server.admin_psql(
                "SELECT pid FROM pg_stat_activity WHERE usename = '%s' "
                "AND query LIKE 'SELECT pg_sleep%%'" % pg.LOGIN).strip()
        pids = server.pids()
        self.assertIn(int(backend), pids)
        return server, pids, session

    def check_session_ended(self, session):
        self.assertIsNotNone(session.wait(10))
        self.assertNotEqual(session.returncode, 0)

    def test_stop_ends_every_process_and_removes_the_folder(self):
        server, pids, session = self.start_with_a_backend()
        root, port = server.root, server.port
        server.freeze()  # stop also ends a frozen server
        server.stop()
        self.check_gone(root, port, pids)
        self.check_session_ended(session)
        self.assertIsNone(server.root)
        server.stop()  # again: nothing to do

    def test_kill_is_a_crash_and_stop_still_cleans_up(self):
        server, pids, session = self.start_with_a_backend()
        root, port = server.root, server.port
        server.kill()
        self.assertEqual([pid for pid in pids if pg.process_alive(pid)], [])
        self.check_session_ended(session)
        self.assertTrue(os.path.exists(os.path.join(server.data_dir, "postmaster.pid")))
        stderr = server.psql(server.uri(pg.LOGIN), "SELECT 1").stderr
        self.assertIn("Connection refused", stderr)
        server.stop()
        self.check_gone(root, port, pids)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: the PostgreSQL test server needs root", file=sys.stderr)
        sys.exit(77)
    unittest.main()
