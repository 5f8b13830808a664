#!/usr/bin/python3
"""A shared store that lies or dies (store = postgresql), through the real
module: garbage in a user's row, an enrollment moved to another user's row,
a schema newer than this build, a server that ends the session in the middle
of a login's transaction. Each login fails closed (refused, never a crash:
pamtester exits 1, not by a signal), and the next honest login works."""
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
sys.path.insert(0, HERE)

from fleet import run_store_tests, USERS, FleetHost, totp_now  # noqa: E402
from postgres_server import BIN, PostgresServer  # noqa: E402

ARGS = None


class HostileStore(unittest.TestCase):
    server = None
    host = None

    @classmethod
    def setUpClass(cls):
        cls.server = PostgresServer()
        cls.server.start()
        cls.host = FleetHost(ARGS.otpgate, ARGS.module, cls.server, "host-a")
        init = cls.host.init()
        if init.returncode != 0:
            raise AssertionError("store init: " + init.stdout + init.stderr)

    @classmethod
    def tearDownClass(cls):
        if cls.host:
            cls.host.cleanup()
        if cls.server:
            cls.server.stop()

    def owner_sql(self, sql):
        result = self.server.psql(self.server.uri("otpgate_owner"), sql)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def admin_sql(self, sql):
        return self.server.admin_psql(sql, database="otpgate").strip()

    def assert_refused(self, user, code, why):
        status, output = self.host.login(user, code)
        self.assertEqual(status, 1, why + " (1 is a refusal; anything else a crash): " + output)

    def test_garbage_in_a_users_state_is_refused_then_repaired_by_reset(self):
        user = USERS[0]
        secret = self.host.enroll_totp(user)
        for column, value in (("recent_failures", "array_fill(1::bigint, ARRAY[5000])"),
                              ("last_totp_step", "-5"),
                              ("enrollment_id", "'../../etc'"),
                              ("remembered_hosts", "'\\x0102'::bytea"),
                              ("verified_destination", "'not a fingerprint'")):
            with self.subTest(column):
                saved = self.owner_sql("SELECT %s FROM otpgate.user_states WHERE user_name = '%s'"
                                       % (column, user))
                self.owner_sql("UPDATE otpgate.user_states SET %s = %s WHERE user_name = '%s'"
                               % (column, value, user))
                self.assert_refused(user, totp_now(secret, 1), "a damaged " + column)
                self.owner_sql("UPDATE otpgate.user_states SET %s = %s WHERE user_name = '%s'"
                               % (column, "NULL" if saved == "" and column == "last_totp_step"
                                  else "'%s'" % saved, user))
        status, output = self.host.login(user, totp_now(secret, 1))
        self.assertEqual(status, 0, "the repaired row: " + output)

    def test_an_enrollment_moved_to_another_users_row_does_not_open(self):
        victim, thief = USERS[1], USERS[2]
        victim_secret = self.host.enroll_totp(victim)
        self.host.enroll_totp(thief)
        self.owner_sql("UPDATE otpgate.enrollments SET sealed = (SELECT sealed FROM "
                       "otpgate.enrollments WHERE user_name = '%s'), enrollment_id = (SELECT "
                       "enrollment_id FROM otpgate.enrollments WHERE user_name = '%s') "
                       "WHERE user_name = '%s'" % (victim, victim, thief))
        # The thief's row now holds the victim's box: it does not open, so
        # the victim's code does not let the thief in.
        self.assert_refused(thief, totp_now(victim_secret, 1), "a box moved between users")
        self.owner_sql("UPDATE otpgate.enrollments SET sealed = '\\xdeadbeef' "
                       "WHERE user_name = '%s'" % thief)
        self.assert_refused(thief, totp_now(victim_secret, 1), "a malformed box")

    def test_a_schema_newer_than_this_build_is_refused(self):
        user = USERS[3]
        secret = self.host.enroll_totp(user)
        self.owner_sql("INSERT INTO otpgate.schema_version (version) VALUES (99)")
        try:
            self.assert_refused(user, totp_now(secret, 1), "a schema of version 99")
        finally:
            self.owner_sql("DELETE FROM otpgate.schema_version WHERE version = 99")
        status, output = self.host.login(user, totp_now(secret, 1))
        self.assertEqual(status, 0, output)

    def test_a_server_ending_the_session_mid_transaction_fails_closed(self):
        user = USERS[4]
        secret = self.host.enroll_totp(user)
        # Another session holds the user's row, so the login's transaction
        # waits on it; then the server ends the login's session.
        holder = subprocess.Popen(
            [os.path.join(BIN, "psql"), "-X", "-q", "-d", self.server.uri("otpgate_owner"),
             "-c", "BEGIN; SELECT 1 FROM otpgate.user_states WHERE user_name = '%s' FOR UPDATE; "
             "SELECT pg_sleep(20); COMMIT;" % user],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin", "PGPASSFILE": "/nonexistent"})
        try:
            deadline = time.monotonic() + 15
            while self.owner_sql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON "
                                 "c.oid = l.relation WHERE c.relname = 'user_states' AND "
                                 "l.mode = 'RowShareLock'") == "0":
                self.assertLess(time.monotonic(), deadline, "the holder never locked the row")
                time.sleep(0.1)
            login = self.host.start_login(user)
            FleetHost.wait_for_prompt(login)
            login.stdin.write((totp_now(secret, 1) + "\n").encode())
            login.stdin.close()
            deadline = time.monotonic() + 15
            while self.admin_sql("SELECT count(*) FROM pg_stat_activity WHERE "
                                 "application_name LIKE 'otpgate@%' AND "
                                 "wait_event_type = 'Lock'") == "0":
                self.assertLess(time.monotonic(), deadline, "the login never waited on the row: " +
                                self.admin_sql("SELECT application_name, state, wait_event_type, "
                                               "query FROM pg_stat_activity"))
                time.sleep(0.05)
            self.admin_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE application_name LIKE 'otpgate@%'")
            status = login.wait(timeout=30)
            output = login.stdout.read().decode(errors="replace")
            login.stdout.close()
            self.assertEqual(status, 1, "the login whose session ended: " + output)
        finally:
            self.server.admin_psql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                                   "WHERE query LIKE '%pg_sleep(20)%' AND pid <> "
                                   "pg_backend_pid()", database="otpgate")
            holder.wait(timeout=30)
        # Nothing was spent: the same code works now.
        status, output = self.host.login(user, totp_now(secret, 1))
        self.assertEqual(status, 0, output)


if __name__ == "__main__":
    run_store_tests(globals())
