"""Simulated hosts of a fleet that log users in through the real module:
each host is a store_host.SimulatedHost (its own otpgate.conf, secrets,
state folder and host name, one shared database) with a pam_wrapper
service folder whose `login` service runs pam_otpgate.so with that host's
configuration. Users are system accounts that every Debian system has, so
no account is made: the shared store keys rows by name."""
import argparse
import base64
import hashlib
import hmac
import os
import re
import select
import struct
import subprocess
import sys
import time
import unittest

from store_host import SimulatedHost, command_env
import cli_sandbox  # noqa: E402,I100  (store_host put tests/support on the path)

PAM_WRAPPER_LIBRARY = "libpam_wrapper.so"
# Accounts of Debian's base-passwd, present on every machine; one per test.
USERS = ["daemon", "bin", "sys", "games", "man", "lp", "mail", "news", "uucp", "proxy"]


def totp_now(secret_base32, offset_steps=0, period=30, digits=6):
    """RFC 6238 SHA-1 code for now (+ offset_steps), from Python's hmac."""
    key = base64.b32decode(secret_base32.replace(" ", "").upper())
    counter = int(time.time()) // period + offset_steps
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def seconds_left_in_step(period=30):
    return period - int(time.time()) % period


def wait_for_fresh_step(needed_seconds, period=30):
    """Sleeps into the next step when fewer than `needed_seconds` are left in this one."""
    if seconds_left_in_step(period) < needed_seconds:
        time.sleep(seconds_left_in_step(period) + 0.2)


class FleetHost(SimulatedHost):
    def __init__(self, otpgate, module, server, name, extra_lines=(), **kwargs):
        # A long store timeout: 40 racing logins each open a TLS and SCRAM
        # connection on a machine busy with other tests. A test of the
        # timeout itself sets a short one in extra_lines (the last line wins).
        lines = ["fail_delay_ms = 0", "max_attempts = 1", "nullok = no",
                 "store_timeout_ms = 15000", *extra_lines]
        super().__init__(otpgate, server, name=name, extra_lines=lines, **kwargs)
        self.module = module
        self.service_dir = os.path.join(self.root, "pam.d")
        os.mkdir(self.service_dir)
        with open(os.path.join(self.service_dir, "login"), "w", encoding="ascii") as f:
            f.write("auth required %s config=%s\n" % (module, self.config))
        with open(os.path.join(self.service_dir, "other"), "w", encoding="ascii") as f:
            f.write("auth required pam_deny.so\naccount required pam_deny.so\n")

    def login_env(self, logged=False):
        """pamtester's environment; `logged`: the module's log lines (pam_syslog
        through pam_wrapper) come out with what it prints."""
        env = {"LD_PRELOAD": cli_sandbox.preload(PAM_WRAPPER_LIBRARY),
               "PAM_WRAPPER": "1", "PAM_WRAPPER_SERVICE_DIR": self.service_dir}
        if logged:
            env["PAM_WRAPPER_DEBUGLEVEL"] = "2"
        return command_env(env)

    def start_login(self, user, logged=False):
        """A pamtester login of `user` waiting for its code on stdin."""
        return subprocess.Popen(["pamtester", "-v", "login", user, "authenticate"],
                                env=self.login_env(logged), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    @staticmethod
    def wait_for_prompt(process, prompt=b"Verification code:", timeout=60):
        """Reads the login's output until it asks for the code: it has read
        the enrollment and waits. Returns what it printed."""
        seen = b""
        deadline = time.monotonic() + timeout
        while prompt not in seen:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([process.stdout], [], [], max(left, 0))
            if not ready:
                raise AssertionError("no prompt within %d s: %r" % (timeout, seen))
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError("the login ended before its prompt: %r" % seen)
            seen += chunk
        return seen

    def login(self, user, code, timeout=60, logged=False):
        """(exit status: 0 when let in, everything printed)."""
        process = self.start_login(user, logged)
        output, _ = process.communicate((code + "\n").encode(), timeout=timeout)
        return process.returncode, output.decode(errors="replace")

    def enroll_totp(self, user):
        """`otpgate enroll totp --user USER` on this host, confirmed with a
        code of the printed secret. Returns the secret (base32)."""
        env = command_env()
        wait_for_fresh_step(8)
        with subprocess.Popen([self.otpgate, "--config", self.config, "enroll", "totp",
                               "--qr", "none", "--user", user], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as process:
            seen = b""
            while b"Parameters:" not in seen:
                line = process.stdout.readline()
                if not line:
                    break
                seen += line
            match = re.search(r"^\s*Secret:\s+([A-Z2-7 ]+?)\s*$", seen.decode(), re.M)
            if not match:
                process.kill()
                raise AssertionError("no secret printed: " + seen.decode() +
                                     process.stderr.read().decode())
            secret = match.group(1).replace(" ", "")
            process.stdin.write((totp_now(secret) + "\n").encode())
            process.stdin.close()
            rest = process.stdout.read()
            errors = process.stderr.read()
            process.wait(timeout=60)
        if process.returncode != 0:
            raise AssertionError("enroll totp --user %s on %s failed: %s%s"
                                 % (user, self.name, (seen + rest).decode(), errors.decode()))
        return secret


def run_store_tests(namespace):
    """The main() of a store test: takes --otpgate and, for a test that logs
    in, --module (the binaries under test) into namespace["ARGS"], skips
    without root (exit 77), then runs the module's unittest cases."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True, type=os.path.abspath)
    parser.add_argument("--module")
    namespace["ARGS"], rest = parser.parse_known_args()
    if os.geteuid() != 0:
        print("skipped: the store tier runs as root")
        sys.exit(77)
    unittest.main(module=namespace["__name__"], argv=[sys.argv[0]] + rest, verbosity=2)
