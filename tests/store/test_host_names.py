#!/usr/bin/python3
"""Host names in store_url, through the real module: otpgate looks them up
itself within store_timeout_ms (libpq's own lookup has no deadline), gives
libpq the addresses, and the server's certificate is still checked against
the name.

The test runs in a mount namespace of its own, where /etc/hosts,
/etc/nsswitch.conf and /etc/resolv.conf are files of the test's: a name
known from the hosts file, a name nobody knows, and a name server on
127.88.0.53 that receives every query and answers none (the resolver would
wait 5 s per try, three tries, before giving up)."""
import contextlib
import ctypes
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
sys.path.insert(0, HERE)

from fleet import run_store_tests, USERS, FleetHost, totp_now  # noqa: E402
from postgres_server import PostgresServer  # noqa: E402
from store_host import store_url  # noqa: E402

ARGS = None
CLONE_NEWNS = 0x00020000
SILENT_NAME_SERVER = "127.88.0.53"


def enter_private_mount_namespace():
    """Mounts made from here on are seen only by this process and its children."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)


class HostNames(unittest.TestCase):
    server = None
    numeric = None  # a host whose store_url names 127.0.0.1: no lookup

    @classmethod
    def setUpClass(cls):
        enter_private_mount_namespace()
        cls.files = tempfile.mkdtemp(prefix="otpgate-names-")
        cls.server = PostgresServer()
        cls.server.start()
        cls.key = os.urandom(32).hex()
        cls.numeric = FleetHost(ARGS.otpgate, ARGS.module, cls.server, "host-numeric", key=cls.key)
        init = cls.numeric.init()
        if init.returncode != 0:
            raise AssertionError("store init: " + init.stdout + init.stderr)

    @classmethod
    def tearDownClass(cls):
        if cls.numeric:
            cls.numeric.cleanup()
        if cls.server:
            cls.server.stop()

    @contextlib.contextmanager
    def name_service(self, hosts_file, sources):
        """/etc/hosts with `hosts_file` and `hosts: SOURCES` in
        /etc/nsswitch.conf; /etc/resolv.conf names the silent name server."""
        contents = {
            "/etc/hosts": hosts_file,
            "/etc/nsswitch.conf": "hosts: %s\n" % sources,
            "/etc/resolv.conf": "nameserver %s\noptions timeout:5 attempts:3\n"
                                % SILENT_NAME_SERVER,
        }
        mounted = []
        try:
            for target, text in contents.items():
                source = os.path.join(self.files, os.path.basename(target))
                with open(source, "w", encoding="ascii") as f:
                    f.write(text)
                subprocess.run(["mount", "--bind", source, os.path.realpath(target)], check=True)
                mounted.append(os.path.realpath(target))
            yield
        finally:
            for target in reversed(mounted):
                subprocess.run(["umount", target], check=True)

    def assert_refused_with_the_code_unspent(self, host, user, secret, reason):
        """A login on `host` fails closed saying `reason`; its code then
        still works on the numeric host. Returns the login's wall time in s."""
        started = time.monotonic()
        status, output = host.login(user, totp_now(secret, 1), logged=True)
        elapsed = time.monotonic() - started
        self.assertNotEqual(status, 0, output)
        self.assertIn(reason, output)
        status, output = self.numeric.login(user, totp_now(secret, 1))
        self.assertEqual(status, 0, "the code stayed unspent: " + output)
        return elapsed

    def host(self, name, url_hosts, extra_lines=()):
        host = FleetHost(ARGS.otpgate, ARGS.module, self.server, name, key=self.key,
                         url=store_url(self.server, host=url_hosts), extra_lines=extra_lines)
        self.addCleanup(host.cleanup)
        return host

    def test_a_name_from_the_hosts_file_logs_in_with_its_certificate_checked(self):
        user = USERS[0]
        secret = self.numeric.enroll_totp(user)
        with self.name_service("127.0.0.1 localhost\n", "files"):
            named = self.host("host-named", "localhost")
            status, output = named.login(user, totp_now(secret, 1))
            self.assertEqual(status, 0, output)
            check = named.run("store", "check")
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            # The name that answered, and the address otpgate looked up for it.
            self.assertIn("localhost (127.0.0.1) port %d answered" % self.server.port,
                          check.stdout)

    def test_a_name_the_certificate_does_not_name_is_refused(self):
        # The address is the server's, but the certificate names localhost:
        # libpq checks it against the name in store_url, not the address.
        user = USERS[1]
        secret = self.numeric.enroll_totp(user)
        with self.name_service("127.0.0.1 localhost db.fleet.test\n", "files"):
            impostor = self.host("host-impostor", "db.fleet.test")
            self.assert_refused_with_the_code_unspent(
                impostor, user, secret,
                'server certificate for "localhost" (and 2 other names) does not match host '
                'name "db.fleet.test"')

    def test_an_unknown_name_is_passed_over_for_the_next_host(self):
        user = USERS[2]
        secret = self.numeric.enroll_totp(user)
        with self.name_service("127.0.0.1 localhost\n", "files"):
            fleet = self.host("host-two-names", "nowhere.fleet.test,localhost")
            status, output = fleet.login(user, totp_now(secret, 1))
            self.assertEqual(status, 0, output)
            alone = self.host("host-nowhere", "nowhere.fleet.test")
            status, output = alone.login(user, totp_now(secret, 1), logged=True)
            self.assertNotEqual(status, 0, output)
            self.assertIn("the store's host nowhere.fleet.test is not known", output)

    def test_a_name_server_that_never_answers_fails_closed_within_the_timeout(self):
        user = USERS[3]
        secret = self.numeric.enroll_totp(user)
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(silent.close)
        silent.bind((SILENT_NAME_SERVER, 53))  # receives the queries, answers none
        with self.name_service("", "dns"):
            quick = self.host("host-quick", "db.fleet.test", ["store_timeout_ms = 1000"])
            elapsed = self.assert_refused_with_the_code_unspent(
                quick, user, secret,
                "the name service did not answer for the store's host db.fleet.test")
            print("silent name server: the login failed closed after %.0f ms (timeout 1000 ms)"
                  % (elapsed * 1000))
            silent.settimeout(0)
            self.assertTrue(silent.recv(512), "the lookup asked the silent server")
            # The resolver alone would wait 15 s; a generous margin over the
            # timeout for a loaded machine (bench/ prints precise figures).
            self.assertLess(elapsed, 5.0)


if __name__ == "__main__":
    run_store_tests(globals())
