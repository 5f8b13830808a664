"""SMS and email codes end to end, as a sysadmin would set them up: the
generic HTTP gateway preset against a local HTTPS gateway (a test CA), SMTP
with STARTTLS against a real aiosmtpd server; root enrolls a user with the
otpgate CLI, the code arriving at the gateway or in the mailbox; then the
user logs in through the real pam_otpgate.so (pamtester under pam_wrapper,
users from nss_wrapper) with the code read where it arrived.

    test_delivered_login.py --otpgate PATH --module PATH --channel sms|email
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import unittest

import pexpect

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import cli_sandbox  # noqa: E402

SERVERS = os.path.join(HERE, "..", "servers")
PYTHON = "/usr/bin/python3"
OTPGATE = MODULE = CHANNEL = None
SERVICE = "otpgate-e2e"
NUMBER_TYPED = "+44 7700 900123"
MASKED_NUMBER = "+44\u2022\u2022\u2022\u2022\u2022\u2022\u2022123"
ADDRESS = "alice@example.com"
MASKED_ADDRESS = "a\u2022\u2022\u2022@example.com"
TIMEOUT_MS = 1500


def start_server(argv):
    """Starts a test server and returns (process, port) once it listens."""
    process = subprocess.Popen([PYTHON] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    line = process.stdout.readline().strip()
    if not line.isdigit():
        process.kill()
        raise RuntimeError("server did not start: %r %s" % (line, process.stderr.read()))
    return process, int(line)


def read_json_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_for(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


class DeliveredCodeLogin(unittest.TestCase):
    def setUp(self):
        self.sandbox = None
        pki_root = cli_sandbox.tempfile.mkdtemp(prefix="otpgate-pki-")
        self.addCleanup(cli_sandbox.shutil.rmtree, pki_root, True)
        subprocess.run([PYTHON, os.path.join(SERVERS, "make_test_pki.py"), pki_root], check=True)
        self.pki = pki_root
        self.capture = os.path.join(pki_root, "capture.jsonl")
        self.control = os.path.join(pki_root, "control.json")
        if CHANNEL == "sms":
            self.server, port = start_server(
                [os.path.join(SERVERS, "sms_gateway.py"), "--log", self.capture,
                 "--cert", self.pki + "/server.pem", "--key", self.pki + "/server.key",
                 "--control", self.control, "--status", "200"])
            lines = ["sms_backend = generic",
                     "http_url = https://127.0.0.1:%d/v1/send" % port,
                     "http_body_type = json",
                     'http_body = {"to": "{to}", "text": "{message}"}',
                     "sms_allowed_countries = 44"]
        else:
            self.server, port = start_server(
                [os.path.join(SERVERS, "smtp_server.py"), "--out", self.capture,
                 "--starttls", self.pki + "/server.pem", self.pki + "/server.key"])
            lines = ["email_backend = smtp",
                     "smtp_url = smtp://127.0.0.1:%d" % port,
                     "email_from = otpgate@example.com"]
        self.addCleanup(self.server.kill)
        lines += ["tls_ca_file = " + self.pki + "/ca.pem",
                  "delivery_timeout_ms = %d" % TIMEOUT_MS,
                  "delivery_connect_timeout_ms = 1000",
                  "send_cooldown = 0",
                  "max_attempts = 2",
                  'help_text = "Call the service desk."']
        self.sandbox = cli_sandbox.Sandbox(OTPGATE, lines)
        self.addCleanup(self.sandbox.cleanup)
        # The test certificates are valid from now on: pin the clock of the
        # CLI and the module a minute after their creation, not in 2023.
        self.sandbox.set_time(int(time.time()) + 60)
        self.service_dir = self.sandbox.pam_services({
            SERVICE: self.sandbox.module_line(MODULE),
            SERVICE + "-safe": self.sandbox.module_line(MODULE, " failmode=safe")})

    # --- what arrived ---------------------------------------------------------

    def messages(self):
        """The messages that carry a code (notices of changes are left out)."""
        return [m for m in read_json_lines(self.capture) if not self.is_notice(m)]

    def notices(self):
        return [m for m in read_json_lines(self.capture) if self.is_notice(m)]

    @staticmethod
    def is_notice(message):
        return message.get("subject", "").startswith("Second factor changed")

    def text_of(self, message):
        return message["body"] if CHANNEL == "email" else message["json"]["text"]

    def code_in(self, message):
        match = re.search(r"\b(\d{6})\b", self.text_of(message))
        self.assertTrue(match, message)
        return match.group(1)

    def wait_for_message(self, count):
        return wait_for(lambda: self.messages() if len(self.messages()) >= count else None)[count - 1]

    def set_gateway(self, **settings):
        with open(self.control, "w", encoding="utf-8") as f:
            json.dump(settings, f)

    # --- the CLI and the module --------------------------------------------

    def enroll(self, extra=()):
        destination = NUMBER_TYPED if CHANNEL == "sms" else ADDRESS
        argv = self.sandbox.command(["enroll", CHANNEL, destination, "--user", "alice"] + list(extra))
        process = subprocess.Popen(argv, env=self.sandbox.env(), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if "--verified" not in extra:
            message = self.wait_for_message(1)
            process.stdin.write(self.code_in(message) + "\n")
            process.stdin.flush()
        out, err = process.communicate(timeout=30)
        self.assertEqual(process.returncode, 0, out + err)
        return out

    def pamtester(self, service=SERVICE):
        env = self.sandbox.env(extra_preload=[cli_sandbox.PAM_WRAPPER_LIBRARY])
        env.update({"PAM_WRAPPER": "1", "PAM_WRAPPER_SERVICE_DIR": self.service_dir})
        child = pexpect.spawn("pamtester", [service, "alice", "authenticate"], env=env,
                              encoding="utf-8", timeout=20)
        self.addCleanup(child.close, force=True)
        return child

    def masked(self):
        return MASKED_NUMBER if CHANNEL == "sms" else MASKED_ADDRESS

    def channel_word(self):
        return "SMS" if CHANNEL == "sms" else "email"

    # --- the journeys -------------------------------------------------------

    def test_enroll_then_log_in_with_the_code_that_arrived(self):
        out = self.enroll()
        self.assertIn("are now the second factor of user alice", out)
        first = self.messages()[0]
        if CHANNEL == "sms":
            self.assertEqual(first["json"]["to"], "+447700900123")
            self.assertEqual(first["method"], "POST")
        else:
            self.assertTrue(first["tls"], "STARTTLS must have been used")
            self.assertEqual(first["rcpt_tos"], [ADDRESS])
        if CHANNEL == "email":
            # Turning the second factor on is announced to the new address.
            notices = wait_for(self.notices)
            self.assertEqual(notices[0]["rcpt_tos"], [ADDRESS])
            self.assertIn("turned on", notices[0]["body"])
        status = self.sandbox.run(["status", "--user", "alice"])
        self.assertIn(self.masked(), status.stdout.decode())

        child = self.pamtester()
        child.expect_exact("Code sent by %s to %s (r = resend): " % (self.channel_word(), self.masked()))
        code = self.code_in(self.wait_for_message(2))
        child.sendline(code)
        child.expect("successfully authenticated")
        # The code dies when used: the next login gets a new one.
        child = self.pamtester()
        child.expect_exact("(r = resend): ")
        self.wait_for_message(3)
        child.sendline(code)
        child.expect_exact("Wrong code. ")

    def test_wrong_code_at_enrollment_saves_nothing(self):
        destination = NUMBER_TYPED if CHANNEL == "sms" else ADDRESS
        result = self.sandbox.run(["enroll", CHANNEL, destination, "--user", "alice"],
                                  stdin_text="000000\n000001\n000002\n")
        self.assertEqual(result.returncode, 1, result)
        self.assertFalse(os.path.exists(self.sandbox.enrollment_file("alice")))

    def test_provider_down_secure_refuses_safe_admits(self):
        self.enroll(["--verified"])
        if CHANNEL == "sms":
            self.set_gateway(mode="answer", status=503, body="down")
        else:
            self.server.kill()
            self.server.wait()
        child = self.pamtester()
        child.expect_exact("The code could not be sent. Call the service desk. Backup code: ")
        child.sendline("123456")
        child.expect_exact("Wrong code. ")
        child.sendline("654321")
        child.expect("Authentication failure")
        # failmode=safe lets the user in, with a loud log line.
        child = self.pamtester(SERVICE + "-safe")
        child.expect("successfully authenticated")

    def test_hanging_provider_never_holds_a_login_past_its_timeout(self):
        if CHANNEL != "sms":
            self.skipTest("a hanging SMTP server is covered by the delivery tests")
        self.enroll(["--verified"])
        self.set_gateway(mode="hang")
        started = time.monotonic()
        child = self.pamtester()
        child.expect_exact("The code could not be sent. ")
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, TIMEOUT_MS / 1000.0 + 1.0, "the login waited %.2f s" % elapsed)

    def test_resend_gives_a_new_code_and_kills_the_old_one(self):
        self.enroll(["--verified"])
        child = self.pamtester()
        child.expect_exact("(r = resend): ")
        old = self.code_in(self.wait_for_message(1))
        child.sendline("r")
        child.expect_exact("New code sent. ")
        new = self.code_in(self.wait_for_message(2))
        if old != new:
            child.sendline(old)
            child.expect_exact("Wrong code. ")
        child.sendline(new)
        child.expect("successfully authenticated")


def main():
    global OTPGATE, MODULE, CHANNEL
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    parser.add_argument("--module", required=True)
    parser.add_argument("--channel", choices=["sms", "email"], required=True)
    args, rest = parser.parse_known_args()
    OTPGATE, MODULE, CHANNEL = args.otpgate, args.module, args.channel
    cli_sandbox.require("oathtool", "pamtester", "openssl")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
