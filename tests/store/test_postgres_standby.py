"""The synchronous standby the failover tests stand on (tests/servers/postgres_standby.py).

Through Debian's psql, against two real servers: a row the primary commits
reaches the standby; while the standby does not answer, a commit on the
primary waits for it (synchronous replication, not merely streaming); once
the primary is killed and the standby promoted, the row is there and the
standby takes writes; a read-write multi-host URI lands on whichever server
is the primary, and a pgbouncer repointed and reloaded after the promotion
follows; stopping the primary stops the standby and leaves nothing behind.

Needs root, postgresql-15 and pgbouncer (scripts/install-deps): without
root it is skipped (77); anything missing fails.
"""

import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
import pgbouncer_server as pgb  # noqa: E402
import postgres_server as pg  # noqa: E402
import postgres_standby  # noqa: E402

WHERE_AM_I = "SELECT pg_is_in_recovery() || ' ' || current_setting('port')"


class StandbyCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.primary = pg.PostgresServer()
        cls.primary.start()
        try:
            cls.standby = cls.primary.start_standby()
            made = cls.primary.psql(cls.primary.uri(pg.OWNER),
                                    "CREATE TABLE otpgate.spent (n int); "
                                    "GRANT SELECT ON otpgate.spent TO %s" % pg.LOGIN)
            if made.returncode != 0:
                raise RuntimeError(made.stderr)
        except BaseException:
            cls.primary.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.primary.stop()

    def run_ok(self, server, sql, uri=None):
        result = server.psql(uri or server.uri(pg.OWNER), sql)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def wait_for(self, server, sql, expected, seconds=10):
        deadline = time.monotonic() + seconds
        while True:
            got = self.run_ok(server, sql)
            if got == expected or time.monotonic() > deadline:
                return got
            time.sleep(0.05)


class SynchronousReplicationTest(StandbyCase):
    def test_the_standby_is_the_primarys_synchronous_standby(self):
        self.assertEqual(self.standby.replication_state(), "streaming|sync")
        self.assertEqual(self.run_ok(self.standby, WHERE_AM_I), "true %d" % self.standby.port)
        self.assertEqual(self.run_ok(self.primary, "SHOW synchronous_commit"), "on")
        # TLS verified against the test CA on the standby too.
        self.assertEqual(self.run_ok(self.standby, "SELECT ssl FROM pg_stat_ssl "
                                                   "WHERE pid = pg_backend_pid()"), "t")

    def test_a_committed_row_reaches_the_standby(self):
        self.run_ok(self.primary, "INSERT INTO otpgate.spent VALUES (1)")
        self.assertEqual(self.wait_for(self.standby, "SELECT count(*) FROM otpgate.spent "
                                                     "WHERE n = 1", "1"), "1")

    def test_a_commit_waits_until_the_standby_has_it(self):
        self.standby.freeze()
        try:
            commit = subprocess.Popen(
                [os.path.join(pg.BIN, "psql"), "-X", "-q", "-d", self.primary.uri(pg.OWNER),
                 "-c", "INSERT INTO otpgate.spent VALUES (2)"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env={"PATH": "/usr/bin:/bin", "HOME": self.primary.root})
            # The backend waits on the standby's acknowledgement, not on anything else ...
            waiting = self.wait_for(self.primary, "SELECT count(*) FROM pg_stat_activity "
                                                  "WHERE wait_event = 'SyncRep'", "1")
            self.assertEqual(waiting, "1")
            # ... and keeps waiting.
            with self.assertRaises(subprocess.TimeoutExpired):
                commit.wait(2)
            self.primary.admin_psql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                                    "WHERE wait_event = 'SyncRep'")
            _, stderr = commit.communicate(timeout=10)
            # A cancelled wait leaves the commit done locally only, and says so.
            self.assertIn("canceling wait for synchronous replication", stderr)
        finally:
            self.standby.thaw()
        self.standby.wait_sync()
        self.assertEqual(self.wait_for(self.standby, "SELECT count(*) FROM otpgate.spent "
                                                     "WHERE n = 2", "1"), "1")

    def test_zz_once_the_standby_is_stopped_the_primary_commits_alone(self):
        # Runs last in its class (unittest sorts by name): it ends the standby.
        root = self.standby.root
        self.standby.stop()
        self.assertFalse(os.path.exists(root))
        self.assertEqual(self.run_ok(self.primary, "SHOW synchronous_standby_names"), "")
        result = self.primary.psql(self.primary.uri(pg.OWNER),
                                   "INSERT INTO otpgate.spent VALUES (3)", timeout=10)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("synchronous replication", result.stderr)


class FailoverTest(StandbyCase):
    def test_after_crash_and_promotion_the_row_is_there_and_writes_go_on(self):
        uri = self.standby.multi_host_uri(pg.OWNER)
        self.assertEqual(uri, postgres_standby.multi_host_uri([self.primary, self.standby],
                                                              pg.OWNER))
        # A host's pgbouncer (conf/pgbouncer-otpgate.ini) in front of the primary.
        bouncer = pgb.PgbouncerServer(self.primary)
        bouncer.start()
        self.addCleanup(bouncer.stop)
        self.assertEqual(bouncer.psql(WHERE_AM_I).stdout.strip(),
                         "false %d" % self.primary.port)
        self.assertIn("target_session_attrs=read-write", uri)
        self.assertIn("127.0.0.1:%d,127.0.0.1:%d" % (self.primary.port, self.standby.port), uri)
        self.assertEqual(self.run_ok(self.primary, WHERE_AM_I, uri),
                         "false %d" % self.primary.port)
        self.run_ok(self.primary, "INSERT INTO otpgate.spent VALUES (7)", uri)
        # No wait for replay here: the commit returned, so the standby has it.
        self.primary.kill()

        # Only a standby is left: no server takes writes yet.
        refused = self.primary.psql(uri, WHERE_AM_I)
        self.assertNotEqual(refused.returncode, 0, refused.stdout)
        self.assertIn("read-only", refused.stderr)

        self.standby.promote()
        self.assertEqual(self.run_ok(self.primary, WHERE_AM_I, uri),
                         "false %d" % self.standby.port)
        self.assertEqual(self.run_ok(self.standby, "SELECT count(*) FROM otpgate.spent "
                                                   "WHERE n = 7", uri), "1")
        self.run_ok(self.standby, "INSERT INTO otpgate.spent VALUES (8)", uri)
        self.assertEqual(self.run_ok(self.standby, "SELECT string_agg(n::text, ',' ORDER BY n) "
                                                   "FROM otpgate.spent"), "7,8")
        # pgbouncer follows once told, as its example says: repoint, reload.
        bouncer.repoint(self.standby)
        deadline = time.monotonic() + 10
        while bouncer.psql(WHERE_AM_I).stdout.strip() != "false %d" % self.standby.port:
            self.assertLess(time.monotonic(), deadline, bouncer.log())
            time.sleep(0.05)
        self.assertEqual(bouncer.psql("SELECT count(*) FROM otpgate.spent WHERE n = 7; "
                                      "SELECT current_user").stdout.split(),
                         ["1", pg.LOGIN])
        # The login role follows too, over TLS verified against the test CA.
        self.assertEqual(self.run_ok(self.standby, "SELECT current_user",
                                     self.standby.multi_host_uri(pg.LOGIN)), pg.LOGIN)

        # Stopping the primary, dead or not, stops its standby and removes both folders.
        roots = (self.primary.root, self.standby.root)
        pids = self.primary.pids() + self.standby.pids()
        self.assertGreater(len(pids), 1)
        self.primary.stop()
        self.assertEqual([root for root in roots if os.path.exists(root)], [])
        self.assertEqual([pid for pid in pids if pg.process_alive(pid)], [])
        self.assertEqual(self.primary.standbys, [])



if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: the PostgreSQL test servers need root", file=sys.stderr)
        sys.exit(77)
    unittest.main()
