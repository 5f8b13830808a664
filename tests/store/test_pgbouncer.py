"""pgbouncer as the shipped example conf/pgbouncer-otpgate.ini deploys it
(tests/servers/pgbouncer_server.py), in front of a real PostgreSQL test server.

Through Debian's psql and pgbench: root, on the Unix socket, reaches the
database as the login role over TLS verified against the test CA; any other
system user cannot reach the socket, and with the socket opened up the HBA
file still admits only root as itself (peer); sequential clients share one
server connection; the extended protocol with unnamed statements works in
transaction pooling, SET LOCAL stays inside its transaction, and startup
options are refused; a server certificate from another CA is refused; stop
leaves nothing behind. Also prints (asserts nothing about) the time of 200
sequential connect + SELECT 1, through pgbouncer and direct with TLS and
SCRAM.

Needs root, postgresql-15 and pgbouncer (scripts/install-deps): without
root it is skipped (77); anything missing fails.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
import pgbouncer_server as pgb  # noqa: E402
import postgres_server as pg  # noqa: E402

SSL_OF_THIS_BACKEND = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
PGBENCH = os.path.join(pg.BIN, "pgbench")
# One login's shape: a short transaction, its limit set inside it, unnamed statements.
LOGIN_LIKE_TRANSACTION = """\\set n random(1, 1000)
BEGIN;
SET LOCAL statement_timeout = '2s';
SELECT :n + 1;
SELECT current_setting('statement_timeout');
END;
"""


def pgbench(conninfo, script, *options):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", dir="/tmp") as f:
        f.write(script)
        f.flush()
        os.chmod(f.name, 0o644)
        return subprocess.run([PGBENCH, "-n", *options, "-f", f.name, conninfo],
                              capture_output=True, text=True, timeout=120, cwd="/",
                              env={"PATH": "/usr/bin:/bin", "HOME": "/",
                                   "PGPASSFILE": "/nonexistent"})


class PgbouncerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = pg.PostgresServer()
        cls.server.start()
        try:
            cls.bouncer = pgb.PgbouncerServer(cls.server)
            cls.bouncer.start()
        except BaseException:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.bouncer.stop()
        cls.server.stop()

    def run_ok(self, sql, **kwargs):
        result = self.bouncer.psql(sql, **kwargs)
        self.assertEqual(result.returncode, 0, result.stderr + self.bouncer.log())
        return result.stdout.strip()

    def refused(self, sql="SELECT 1", **kwargs):
        result = self.bouncer.psql(sql, **kwargs)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertEqual(result.stdout, "")
        return result.stderr

    def server_connections(self):
        return int(self.server.admin_psql(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = '%s'" % pg.LOGIN))

    def test_root_reaches_the_database_as_the_login_role_over_verified_tls(self):
        self.assertEqual(self.run_ok("SELECT current_user || ' ' || current_database()"),
                         "%s %s" % (pg.LOGIN, pg.DATABASE))
        self.assertEqual(self.run_ok(SSL_OF_THIS_BACKEND), "t")
        self.assertEqual(self.run_ok("SELECT inet_client_addr() || ' ' || "
                                     "current_setting('port')"),
                         "127.0.0.1/32 %d" % self.server.port)
        # What otpgate adds to store_url by default changes nothing on a Unix
        # socket (libpq never uses TLS there); application_name passes through.
        otpgate_defaults = (" sslmode=verify-full sslrootcert=/etc/ssl/certs/ca-certificates.crt"
                            " gssencmode=disable application_name=otpgate")
        self.assertEqual(self.run_ok("SELECT current_setting('application_name')",
                                     conninfo=self.bouncer.conninfo() + otpgate_defaults),
                         "otpgate")
        with open(self.bouncer.ini_file, encoding="utf-8") as f:
            ini = f.read()
        self.assertIn("server_tls_sslmode = verify-full", ini)
        self.assertIn("listen_addr =\n", ini)
        self.assertNotIn(self.server.passwords[pg.LOGIN], ini)
        self.assertEqual(os.stat(os.path.join(self.bouncer.root, "users.txt")).st_mode & 0o777,
                         0o600)

    def test_other_users_cannot_reach_the_socket(self):
        stderr = self.refused(as_user="nobody")
        self.assertIn("Permission denied", stderr)
        stderr = self.refused(as_user="nobody", user="nobody")
        self.assertIn("Permission denied", stderr)

    def test_with_the_socket_open_to_all_only_root_as_itself_comes_in(self):
        os.chmod(self.bouncer.socket_dir, 0o755)
        os.chmod(self.bouncer.socket_path, 0o666)
        try:
            # peer: nobody may not claim to be root ...
            self.assertIn("unix socket login rejected", self.refused(as_user="nobody"))
            # ... nor come in as itself, unlisted ...
            self.assertIn("login rejected", self.refused(as_user="nobody", user="nobody"))
            # ... and root may not name the login role, nor open the admin console.
            self.assertIn("login rejected", self.refused(user=pg.LOGIN))
            console = self.bouncer.conninfo(database="pgbouncer")
            self.assertIn("not allowed", self.refused("SHOW POOLS", conninfo=console))
            self.assertIn("not allowed", self.refused("SHOW POOLS", conninfo=console,
                                                      as_user=pgb.RUN_AS))
        finally:
            os.chmod(self.bouncer.socket_dir, 0o700)
            os.chmod(self.bouncer.socket_path, 0o600)
        self.assertEqual(self.run_ok("SELECT 1"), "1")

    def test_sequential_clients_share_one_server_connection(self):
        backends = {self.run_ok("SELECT pg_backend_pid()") for _ in range(20)}
        self.assertEqual(len(backends), 1, backends)
        self.assertLessEqual(self.server_connections(), 2)

    def test_extended_protocol_transactions_work_in_transaction_pooling(self):
        result = pgbench(self.bouncer.conninfo(), LOGIN_LIKE_TRANSACTION,
                         "-M", "extended", "-c", "4", "-j", "2", "-t", "50")
        self.assertEqual(result.returncode, 0, result.stderr + self.bouncer.log())
        self.assertIn("number of transactions actually processed: 200/200", result.stdout)
        self.assertIn("number of failed transactions: 0", result.stdout)
        # Four clients at once, never more than the pool's server connections.
        self.assertLessEqual(self.server_connections(), 3)

    def test_set_local_stays_in_its_transaction_and_startup_options_are_dropped(self):
        self.assertEqual(self.run_ok("BEGIN; SET LOCAL statement_timeout = '1234ms'; "
                                     "SHOW statement_timeout; COMMIT"), "1234ms")
        self.assertEqual(self.run_ok("SHOW statement_timeout"), "0")
        stderr = self.refused("BEGIN; SET LOCAL statement_timeout = '50ms'; "
                              "SELECT pg_sleep(5); COMMIT")
        self.assertIn("canceling statement due to statement timeout", stderr)
        # otpgate always sends `options` (so that PGOPTIONS never fills it);
        # the shipped ini has pgbouncer take the client and drop them, so a
        # client's options never reach the pooled server session.
        self.assertEqual(self.run_ok("SHOW statement_timeout",
                                     extra_env={"PGOPTIONS": "-c statement_timeout=1000"}), "0")

    def test_a_server_certificate_from_another_ca_is_refused(self):
        rogue = os.path.join(self.server.pki_dir, "rogue-ca.pem")
        with pgb.PgbouncerServer(self.server, ca_file=rogue) as bouncer:
            # The client waits for a server connection that never comes
            # (query_wait_timeout); its own deadline ends the wait sooner.
            conninfo = bouncer.conninfo().replace("connect_timeout=5", "connect_timeout=2")
            result = bouncer.psql("SELECT 1", conninfo=conninfo)
            self.assertNotEqual(result.returncode, 0, result.stdout)
            self.assertEqual(result.stdout, "")
            deadline = time.monotonic() + 10
            while "certificate verify failed" not in bouncer.log():
                self.assertLess(time.monotonic(), deadline, bouncer.log())
                time.sleep(0.05)
        self.assertEqual(self.run_ok(SSL_OF_THIS_BACKEND), "t")

    def test_stop_ends_pgbouncer_and_its_server_connections(self):
        bouncer = pgb.PgbouncerServer(self.server)
        bouncer.start()
        self.addCleanup(bouncer.stop)
        root, pid = bouncer.root, bouncer.pid
        backend = bouncer.psql("SELECT pg_backend_pid()").stdout.strip()
        self.assertTrue(backend.isdigit(), bouncer.log())
        bouncer.stop()
        self.assertFalse(pg.process_alive(pid))
        self.assertFalse(os.path.exists(root))
        deadline = time.monotonic() + 10
        while pg.process_alive(int(backend)):
            self.assertLess(time.monotonic(), deadline, "the server connection outlived pgbouncer")
            time.sleep(0.02)

    def test_zz_print_the_cost_of_a_connection(self):
        """Figures for people, not assertions: 200 sequential connect + SELECT 1."""
        direct = ("host=127.0.0.1 port=%d dbname=%s user=%s password=%s sslmode=verify-full "
                  "sslrootcert=%s" % (self.server.port, pg.DATABASE, pg.LOGIN,
                                      self.server.passwords[pg.LOGIN], self.server.ca_file))
        for name, conninfo in (("pgbouncer, Unix socket", self.bouncer.conninfo()),
                               ("direct, TLS + SCRAM", direct)):
            result = pgbench(conninfo, "SELECT 1;\n", "-C", "-c", "1", "-t", "200")
            self.assertEqual(result.returncode, 0, result.stderr)
            figures = dict(re.findall(r"^(latency average|average connection time) = "
                                      r"([0-9.]+ ms)$", result.stdout, re.M))
            print("\n200 x (connect + SELECT 1), %s: %s per connection+query "
                  "(connection alone %s)" % (name, figures.get("latency average"),
                                             figures.get("average connection time")),
                  file=sys.stderr)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: the PostgreSQL and pgbouncer test servers need root", file=sys.stderr)
        sys.exit(77)
    unittest.main()
