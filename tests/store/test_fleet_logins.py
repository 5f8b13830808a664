#!/usr/bin/python3
"""Many hosts, one enrollment (store = postgresql), through the real module:
four simulated hosts (fleet.py) share one throwaway PostgreSQL server.

Enroll on one host and log in on another; a code is accepted once in the
whole fleet, also when 40 logins on 4 hosts race with it; wrong codes on
any host lock the user everywhere and `otpgate unlock` on one host unlocks
everywhere; the database holds no secret in clear (pg_dump as the oracle);
an unreachable, frozen or plain-text store fails closed."""
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
sys.path.insert(0, HERE)

from fleet import run_store_tests, USERS, FleetHost, totp_now, wait_for_fresh_step  # noqa: E402
from pgbouncer_server import PgbouncerServer  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402
from store_host import store_url  # noqa: E402

ARGS = None
RACE_TRIALS = int(os.environ.get("OTPGATE_RACE_TRIALS", "50"))
RACERS = 40


class Fleet(unittest.TestCase):
    server = None
    pooler = None
    hosts = []

    @classmethod
    def setUpClass(cls):
        cls.server = PostgresServer()
        cls.server.start()
        # Host d reaches the database as the README recommends: through a
        # local pgbouncer (conf/pgbouncer-otpgate.ini) on a Unix socket.
        cls.pooler = PgbouncerServer(cls.server)
        cls.pooler.start()
        key = os.urandom(32).hex()
        cls.hosts = [FleetHost(ARGS.otpgate, ARGS.module, cls.server, "host-" + name, key=key)
                     for name in "abc"]
        cls.hosts.append(FleetHost(ARGS.otpgate, ARGS.module, cls.server, "host-d", key=key,
                                   url=cls.pooler.conninfo()))
        init = cls.hosts[0].init()
        if init.returncode != 0:
            raise AssertionError("store init: " + init.stdout + init.stderr)

    @classmethod
    def tearDownClass(cls):
        for host in cls.hosts:
            host.cleanup()
        if cls.pooler:
            cls.pooler.stop()
        if cls.server:
            cls.server.stop()

    def owner_sql(self, sql):
        result = self.server.psql(self.server.uri("otpgate_owner"), sql)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def test_enroll_on_one_host_log_in_on_another_disable_everywhere(self):
        a, b = self.hosts[0], self.hosts[1]
        user = USERS[0]
        secret = a.enroll_totp(user)
        status, output = b.login(user, totp_now(secret, 1))
        self.assertEqual(status, 0, output)
        # Root's view on another host: the enrollment, where it is, the login.
        shown = self.hosts[2].run("status", "--user", user)
        self.assertEqual(shown.returncode, 0, shown.stdout + shown.stderr)
        self.assertIn("TOTP", shown.stdout)
        self.assertIn("shared store", shown.stdout)
        listed = self.hosts[2].run("list")
        self.assertEqual(listed.returncode, 0, listed.stdout + listed.stderr)
        self.assertRegex(listed.stdout, r"(?m)^%s\s+totp\s" % user)
        disabled = b.run("disable", "--user", user)
        self.assertEqual(disabled.returncode, 0, disabled.stdout + disabled.stderr)
        status, output = a.login(user, totp_now(secret, 1))
        self.assertNotEqual(status, 0, output)
        self.assertEqual(self.owner_sql(
            "SELECT count(*) FROM otpgate.enrollments WHERE user_name = '%s'" % user), "0")

    def test_a_host_behind_pgbouncer_logs_in_like_the_others(self):
        a, pooled = self.hosts[0], self.hosts[3]
        user = USERS[8]
        secret = pooled.enroll_totp(user)
        status, output = pooled.login(user, totp_now(secret, 1))
        self.assertEqual(status, 0, output)
        status, output = a.login(user, totp_now(secret, 1))
        self.assertNotEqual(status, 0, "replayed through the other path: " + output)

    def test_a_code_used_on_one_host_is_refused_on_the_others(self):
        a, c = self.hosts[0], self.hosts[2]
        user = USERS[1]
        secret = a.enroll_totp(user)
        code = totp_now(secret, 1)
        status, output = c.login(user, code)
        self.assertEqual(status, 0, output)
        for host in self.hosts:
            status, output = host.login(user, code)
            self.assertNotEqual(status, 0, host.name + ": " + output)

    def test_a_row_changed_on_another_host_during_the_prompt_is_checked_again(self):
        # The code is checked against the row read with the enrollment, and
        # recorded only if that row is unchanged; here host D changes it
        # while host A waits at the prompt, so A checks once more, locked.
        a, d = self.hosts[0], self.hosts[3]
        user = USERS[9]
        secret = a.enroll_totp(user)

        def failures():
            return int(self.owner_sql("SELECT cardinality(recent_failures) FROM "
                                      "otpgate.user_states WHERE user_name = '%s'" % user))

        waiting = a.start_login(user)
        a.wait_for_prompt(waiting)
        status, output = d.login(user, "000000")
        self.assertNotEqual(status, 0, "D's wrong code while A waits: " + output)
        step = int(time.time()) // 30 + 1  # the next step: the enrollment spent this one
        code = totp_now(secret, step - int(time.time()) // 30)
        output, _ = waiting.communicate((code + "\n").encode(), timeout=60)
        self.assertEqual(waiting.returncode, 0, "A's code, after D changed the row: " +
                         output.decode(errors="replace"))
        self.assertEqual(self.owner_sql("SELECT last_totp_step FROM otpgate.user_states "
                                        "WHERE user_name = '%s'" % user), str(step))
        # A's audit row is of the transaction that spent its code (the same now()).
        self.assertEqual(self.owner_sql(
            "SELECT a.at = s.updated_at FROM otpgate.audit_log a JOIN otpgate.user_states s "
            "USING (user_name) WHERE user_name = '%s' AND a.event = 'login' "
            "ORDER BY a.id DESC LIMIT 1" % user), "t")
        status, output = d.login(user, code)
        self.assertNotEqual(status, 0, "A's code, spent, on D: " + output)

        # A wrong code typed meanwhile is counted all the same.
        before = failures()
        waiting = a.start_login(user, logged=True)
        a.wait_for_prompt(waiting)
        status, output = d.login(user, "000000")
        self.assertNotEqual(status, 0, output)
        output, _ = waiting.communicate(b"111111\n", timeout=60)
        output = output.decode(errors="replace")
        self.assertNotEqual(waiting.returncode, 0, output)
        self.assertEqual(failures(), before + 2, "both wrong codes are counted")
        # Checked twice, logged once: the line is of the check that counted.
        self.assertEqual(output.count("wrong code for user " + user), 1, output)

        # One audit row per login: a success's row commits with the code it
        # spends, never for the attempt that found the row changed.
        rows = self.owner_sql("SELECT host_name || ' ' || outcome FROM otpgate.audit_log "
                              "WHERE user_name = '%s' AND event = 'login' ORDER BY id" % user)
        self.assertEqual(rows.splitlines(), ["host-d denied", "host-a success", "host-d denied",
                                             "host-d denied", "host-a denied"])

    def test_forty_racers_on_four_hosts_one_code_exactly_one_success(self):
        user = USERS[2]
        secret = self.hosts[0].enroll_totp(user)
        outcomes = []
        for trial in range(RACE_TRIALS):
            # A fresh state each trial: the code of the step ahead is unspent.
            self.owner_sql("DELETE FROM otpgate.user_states WHERE user_name = '%s'" % user)
            wait_for_fresh_step(10)
            # One racer after another reaches the prompt (enrollment read,
            # connection open): pam_wrapper's start-up in /tmp/pam.* is not
            # safe to run many times at once (one start may take another's
            # folder for stale). Then the code reaches all 40 at once.
            racers = []
            for i in range(RACERS):
                racers.append(self.hosts[i % 4].start_login(user))
                FleetHost.wait_for_prompt(racers[-1])
            code = totp_now(secret, 1)
            for racer in racers:
                racer.stdin.write((code + "\n").encode())
            for racer in racers:
                racer.stdin.close()
            statuses = [racer.wait(timeout=120) for racer in racers]
            for racer in racers:
                racer.stdout.close()
            winners = statuses.count(0)
            outcomes.append(winners)
            self.assertEqual(winners, 1, "trial %d: %d of %d racers got in" %
                             (trial, winners, RACERS))
        print("racer trials: %d, each with exactly one success" % len(outcomes))

    def test_wrong_codes_on_several_hosts_lock_everywhere_and_unlock_everywhere(self):
        user = USERS[3]
        secret = self.hosts[0].enroll_totp(user)
        # lockout_attempts (5 by default) wrong codes, spread over the hosts.
        for i in range(5):
            status, output = self.hosts[i % 4].login(user, "000000" if i % 2 else "111111")
            self.assertNotEqual(status, 0, output)
        locked_at = self.owner_sql(
            "SELECT locked_at FROM otpgate.user_states WHERE user_name = '%s'" % user)
        self.assertNotEqual(locked_at, "0")
        for host in self.hosts:
            status, output = host.login(user, totp_now(secret, 1))
            self.assertNotEqual(status, 0, host.name + " let a locked user in: " + output)
        unlocked = self.hosts[3].run("unlock", "--user", user)
        self.assertEqual(unlocked.returncode, 0, unlocked.stdout + unlocked.stderr)
        status, output = self.hosts[1].login(user, totp_now(secret, 1))
        self.assertEqual(status, 0, output)
        # The audit log, read on any host, has each host's logins and the unlock.
        log = self.hosts[2].run("log", "--user", user)
        self.assertEqual(log.returncode, 0, log.stdout + log.stderr)
        lines = log.stdout.splitlines()
        for host in self.hosts:
            self.assertTrue(any(host.name in line and " login " in " %s " % line
                                for line in lines), host.name + " missing in:\n" + log.stdout)
        self.assertTrue(any("host-d" in line and "unlocked" in line for line in lines),
                        log.stdout)
        self.assertTrue(any("host-b" in line and "success" in line for line in lines),
                        log.stdout)
        self.assertNotIn(totp_now(secret, 1), log.stdout)

    def test_the_fleet_sms_cap_holds_across_hosts(self):
        user = USERS[7]
        texting = []
        for name in "wxyz":
            host = FleetHost(ARGS.otpgate, ARGS.module, self.server, "host-sms-" + name,
                             key=self.hosts[0].key, extra_lines=[
                                 "send_cooldown = 0", "sms_backend = file",
                                 "sms_allowed_countries = 44", "fleet_max_sms_per_hour = 3"])
            with open(host.config, "a", encoding="utf-8") as f:
                f.write("sms_outbox = %s\n" % os.path.join(host.root, "outbox"))
            self.addCleanup(host.cleanup)
            texting.append(host)
        enrolled = texting[0].run("enroll", "sms", "+447700900123", "--user", user,
                                  "--verified")
        self.assertEqual(enrolled.returncode, 0, enrolled.stdout + enrolled.stderr)
        for round_number in range(2):
            for host in texting:
                status, output = host.login(user, "000000")
                self.assertNotEqual(status, 0, output)

        def sent_by(host):
            try:
                with open(os.path.join(host.root, "outbox"), encoding="utf-8") as f:
                    return len([line for line in f if line.strip()])
            except FileNotFoundError:
                return 0

        sent = [sent_by(host) for host in texting]
        self.assertEqual(sum(sent), 3, "SMS sent by each host: %s" % sent)
        self.assertEqual(self.owner_sql("SELECT count(*) FROM otpgate.sms_sends"), "3")

    def test_the_database_holds_no_secret_in_clear(self):
        user = USERS[4]
        secret = self.hosts[1].enroll_totp(user)
        dump = subprocess.run(
            ["/usr/lib/postgresql/15/bin/pg_dump", "--data-only", "--schema=otpgate",
             self.server.uri("otpgate_owner")], capture_output=True, text=True, timeout=60)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertIn(user, dump.stdout)  # the row is there...
        raw = __import__("base64").b32decode(secret)
        for form in (secret, secret.lower(), raw.hex()):
            self.assertNotIn(form, dump.stdout)  # ...but not its secret

    def test_a_store_url_without_tls_is_refused_by_the_server_and_logged(self):
        user = USERS[5]
        secret = self.hosts[0].enroll_totp(user)
        plain = FleetHost(ARGS.otpgate, ARGS.module, self.server, "host-plain",
                          key=self.hosts[0].key,
                          url=store_url(self.server, sslmode="disable"))
        try:
            status, output = plain.login(user, totp_now(secret, 1))
            self.assertNotEqual(status, 0, output)
        finally:
            plain.cleanup()
        # The code was not spent: a host with TLS still takes it.
        status, output = self.hosts[2].login(user, totp_now(secret, 1))
        self.assertEqual(status, 0, output)

    def test_a_stopped_or_frozen_store_fails_closed_within_its_timeout(self):
        user = USERS[6]
        secret = self.hosts[0].enroll_totp(user)
        quick = FleetHost(ARGS.otpgate, ARGS.module, self.server, "host-quick",
                          key=self.hosts[0].key, extra_lines=["store_timeout_ms = 1000"])
        try:
            # The quick host's timeout (1000 ms) is the last of its lines, so it wins.
            with open(quick.config, encoding="utf-8") as f:
                self.assertIn("store_timeout_ms = 1000", f.read())
            self.server.freeze()
            try:
                started = time.monotonic()
                status, output = quick.login(user, totp_now(secret, 1))
                elapsed = time.monotonic() - started
            finally:
                self.server.thaw()
            self.assertNotEqual(status, 0, output)
            print("frozen store: the login failed closed after %.0f ms (timeout 1000 ms)"
                  % (elapsed * 1000))
            # Bounded: one timeout, not one per statement (a generous margin
            # for a loaded machine; bench/ prints the precise figure).
            self.assertLess(elapsed, 5.0)
            status, output = quick.login(user, totp_now(secret, 1))
            self.assertEqual(status, 0, "after the thaw: " + output)
        finally:
            quick.cleanup()


if __name__ == "__main__":
    run_store_tests(globals())
