#!/usr/bin/python3
"""Failover (store = postgresql): a primary with a synchronous streaming
standby, two simulated hosts whose store_url names both servers with
target_session_attrs=read-write. The primary is killed and the standby
promoted: logins go on, and a code spent just before the failover stays
spent."""
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
sys.path.insert(0, HERE)

from fleet import run_store_tests, USERS, FleetHost, totp_now  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402

ARGS = None


def failover_url(primary, standby):
    """Both servers, no password (it is in otpgate.secrets)."""
    return ("postgresql://otpgate_login@127.0.0.1:%d,127.0.0.1:%d/otpgate?sslmode=verify-full"
            "&sslrootcert=%s&target_session_attrs=read-write"
            % (primary.port, standby.port, primary.ca_file))


class Failover(unittest.TestCase):
    def test_logins_go_on_after_promotion_and_a_spent_code_stays_spent(self):
        primary = PostgresServer()
        primary.start()
        self.addCleanup(primary.stop)
        key = os.urandom(32).hex()
        hosts = []
        standby = None
        for name in ("host-a", "host-b"):
            host = FleetHost(ARGS.otpgate, ARGS.module, primary, name, key=key)
            self.addCleanup(host.cleanup)
            hosts.append(host)
        init = hosts[0].init()
        self.assertEqual(init.returncode, 0, init.stdout + init.stderr)
        standby = primary.start_standby()
        for host in hosts:
            host.write_config("postgresql", failover_url(primary, standby),
                              ["fail_delay_ms = 0", "max_attempts = 1"])
        spender, other = USERS[0], USERS[1]
        spender_secret = hosts[0].enroll_totp(spender)
        other_secret = hosts[0].enroll_totp(other)
        code = totp_now(spender_secret, 1)
        status, output = hosts[0].login(spender, code)
        self.assertEqual(status, 0, output)

        primary.kill()
        standby.promote()

        status, output = hosts[1].login(other, totp_now(other_secret, 1))
        self.assertEqual(status, 0, "no login after the failover: " + output)
        # The promoted standby has the step the primary spent before it died...
        spent = standby.psql(standby.uri("otpgate_owner"),
                             "SELECT last_totp_step FROM otpgate.user_states "
                             "WHERE user_name = '%s'" % spender)
        self.assertEqual(spent.returncode, 0, spent.stderr)
        self.assertNotEqual(spent.stdout.strip(), "")
        # ...so the code is refused on every host.
        for host in hosts:
            status, output = host.login(spender, code)
            self.assertNotEqual(status, 0, "a code spent before the failover was taken again "
                                "on " + host.name + ": " + output)

        # With both servers down, logins fail closed at once (connection refused).
        standby.kill()
        started = time.monotonic()
        status, output = hosts[0].login(other, totp_now(other_secret, 1))
        elapsed = time.monotonic() - started
        self.assertEqual(status, 1, "with no database: " + output)
        print("no database: the login failed closed after %.0f ms" % (elapsed * 1000))
        self.assertLess(elapsed, 5.0)


if __name__ == "__main__":
    run_store_tests(globals())
