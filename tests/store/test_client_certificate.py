#!/usr/bin/python3
"""A host that reaches the shared store with a client certificate (pg_hba
method `cert`, no store_password), through the real module.

The server (postgres_server.py) trusts the test CA for clients and lets the
role otpgate_cert in only with a certificate of that name; the role is a
member of otpgate_login, which `otpgate store init` grants what logins need.
A certificate host enrolls and logs in, a SCRAM host sees the same
enrollment and state; store check reports TLS and the inherited rights; a
certificate from an untrusted CA, a key readable by others and an
encrypted key all fail closed, without spending the code and without
asking anyone for a passphrase."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

import pexpect

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "servers"))
sys.path.insert(0, HERE)

from fleet import run_store_tests, USERS, FleetHost, totp_now  # noqa: E402
from postgres_server import PostgresServer, CERT_LOGIN  # noqa: E402
from store_host import command_env  # noqa: E402

ARGS = None
# Generous: a failure must come from the connection, never from a prompt
# waiting for this long.
COMMAND_SECONDS = 60
# OpenSSL's prompt is "Enter PEM pass phrase:"; any prompt for one counts.
PASSPHRASE_PROMPT = r"(?i)pass ?phrase\s*:"


def certificate_url(server, cert_file, key_file):
    query = urllib.parse.urlencode({"sslmode": "verify-full", "sslrootcert": server.ca_file,
                                    "sslcert": cert_file, "sslkey": key_file})
    return "postgresql://%s@127.0.0.1:%d/otpgate?%s" % (CERT_LOGIN, server.port, query)


class ClientCertificate(unittest.TestCase):
    server = None
    scram = None
    cert = None

    @classmethod
    def setUpClass(cls):
        cls.server = PostgresServer()
        cls.server.start()
        key = os.urandom(32).hex()
        cls.scram = FleetHost(ARGS.otpgate, ARGS.module, cls.server, "host-scram", key=key)
        cls.cert = cls.certificate_host("host-cert", cls.server.client_cert_file,
                                        cls.server.client_key_file, key)
        # The login role gets the grants; otpgate_cert holds them as its member.
        init = cls.scram.init()
        if init.returncode != 0:
            raise AssertionError("store init: " + init.stdout + init.stderr)

    @classmethod
    def tearDownClass(cls):
        for host in (cls.scram, cls.cert):
            if host:
                host.cleanup()
        if cls.server:
            cls.server.stop()

    @classmethod
    def certificate_host(cls, name, cert_file, key_file, key):
        # password="": the secrets file holds store_key only.
        return FleetHost(ARGS.otpgate, ARGS.module, cls.server, name, key=key, password="",
                         url=certificate_url(cls.server, cert_file, key_file))

    def host_with_key(self, name, mode, encrypt=False):
        """A certificate host whose key is a copy with `mode` (root's)."""
        folder = tempfile.mkdtemp(prefix="otpgate-key-")
        self.addCleanup(shutil.rmtree, folder, True)
        key_file = os.path.join(folder, "store-client.key")
        if encrypt:
            subprocess.run(["openssl", "pkey", "-in", self.server.client_key_file, "-aes256",
                            "-passout", "pass:a passphrase", "-out", key_file],
                           check=True, capture_output=True, timeout=30)
        else:
            shutil.copyfile(self.server.client_key_file, key_file)
        os.chmod(key_file, mode)
        host = self.certificate_host(name, self.server.client_cert_file, key_file,
                                     self.scram.key)
        self.addCleanup(host.cleanup)
        return host

    def assert_unspent(self, user, code):
        """The code still lets the user in on the SCRAM host."""
        status, output = self.scram.login(user, code)
        self.assertEqual(status, 0, "the code was spent by a failed login: " + output)

    def test_a_certificate_host_enrolls_and_logs_in_and_a_scram_host_shares_it(self):
        with open(self.cert.secrets, encoding="utf-8") as f:
            self.assertNotIn("store_password", f.read())
        user = USERS[0]
        secret = self.cert.enroll_totp(user)
        code = totp_now(secret, 1)
        status, output = self.cert.login(user, code)
        self.assertEqual(status, 0, output)
        shown = self.scram.run("status", "--user", user)
        self.assertEqual(shown.returncode, 0, shown.stdout + shown.stderr)
        self.assertIn("TOTP", shown.stdout)
        status, output = self.scram.login(user, code)
        self.assertNotEqual(status, 0, "a code spent on the certificate host: " + output)
        # And the other way: enrolled over SCRAM, used over the certificate.
        other = USERS[1]
        secret = self.scram.enroll_totp(other)
        status, output = self.cert.login(other, totp_now(secret, 1))
        self.assertEqual(status, 0, output)

    def test_store_check_on_the_certificate_host(self):
        check = self.cert.run("store", "check")
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("user=%s" % CERT_LOGIN, check.stdout)
        self.assertRegex(check.stdout, r"(?m)^TLS: TLSv1\.[23] .*server certificate and name "
                                       r"verified.*client certificate")
        self.assertRegex(check.stdout, r"(?m)^rights: what logins need, and no more .*"
                                       r"member of otpgate_login")
        self.assertIn("The shared store is ready for logins.", check.stdout)

    def test_store_init_from_the_certificate_host(self):
        # The owner comes in with its password (the certificate is offered
        # too, and verified); the grants go to store_url's role itself.
        init = self.cert.init()
        self.assertEqual(init.returncode, 0, init.stdout + init.stderr)
        self.assertIn("already at version 1", init.stdout)
        self.assertIn("login role %s granted what logins need" % CERT_LOGIN, init.stdout)
        check = self.cert.run("store", "check")
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("rights: what logins need, and no more", check.stdout)

    def test_a_certificate_from_an_untrusted_ca_fails_closed(self):
        rogue = self.certificate_host("host-rogue", self.server.rogue_client_cert_file,
                                      self.server.rogue_client_key_file, self.scram.key)
        self.addCleanup(rogue.cleanup)
        user = USERS[2]
        secret = self.scram.enroll_totp(user)
        code = totp_now(secret, 1)
        status, output = rogue.login(user, code)
        self.assertNotEqual(status, 0, output)
        check = rogue.run("store", "check")
        self.assertEqual(check.returncode, 6, check.stdout + check.stderr)
        self.assertIn("unknown ca", check.stdout + check.stderr)
        self.assert_unspent(user, code)

    def test_a_key_readable_by_others_fails_closed_and_says_so(self):
        loose = self.host_with_key("host-loose", 0o644)
        user = USERS[3]
        secret = self.scram.enroll_totp(user)
        code = totp_now(secret, 1)
        status, output = loose.login(user, code)
        self.assertNotEqual(status, 0, output)
        check = loose.run("store", "check")
        self.assertEqual(check.returncode, 6, check.stdout + check.stderr)
        self.assertIn("has group or world access", check.stdout + check.stderr)
        self.assert_unspent(user, code)

    def test_an_encrypted_key_fails_without_asking_for_a_passphrase(self):
        # On a terminal (pexpect's pty), where OpenSSL would ask for the
        # passphrase if libpq let it.
        locked = self.host_with_key("host-encrypted", 0o600, encrypt=True)
        user = USERS[4]
        secret = self.scram.enroll_totp(user)
        code = totp_now(secret, 1)
        check = pexpect.spawn(locked.otpgate, ["--config", locked.config, "store", "check"],
                              env=command_env(), timeout=COMMAND_SECONDS, encoding="utf-8")
        seen = check.expect([PASSPHRASE_PROMPT, pexpect.EOF])
        output = check.before
        check.close(force=True)
        self.assertEqual(seen, 1, "asked for a passphrase: " + output)
        self.assertEqual(check.exitstatus, 6, output)
        self.assertIn("private key", output)
        self.assertIn("the key is encrypted: otpgate never asks for a passphrase", output)

        login = pexpect.spawn("pamtester", ["-v", "login", user, "authenticate"],
                              env=locked.login_env(), timeout=COMMAND_SECONDS,
                              encoding="utf-8")
        seen = login.expect([PASSPHRASE_PROMPT, "Verification code:", pexpect.EOF])
        transcript = login.before
        if seen == 1:
            login.sendline(code)
            seen = 1 + login.expect([PASSPHRASE_PROMPT, pexpect.EOF])
            transcript += login.before
        login.close(force=True)
        self.assertNotIn(seen, (0, 1), "asked for a passphrase: " + transcript)
        self.assertNotEqual(login.exitstatus, 0, transcript)
        self.assert_unspent(user, code)


if __name__ == "__main__":
    run_store_tests(globals())
