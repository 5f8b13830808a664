"""Changes made with otpgate and otpgate-verify reach the auth log.

No syslog daemon runs here. This test gives itself a private mount
namespace, lays an overlay over /dev so that a socket of its own can sit at
/dev/log without touching the machine's /dev, and reads what arrives:
root provisioning a verified number, and a user verifying one by code
through the set-uid helper (both at LOG_AUTHPRIV).

Usage: test_auth_log.py --helper ... --config ... --otpgate ... --module ...
"""

import ctypes
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_verify_helper as helper_test  # noqa: E402  (World, arguments)

CLONE_NEWNS = 0x00020000
LOG_AUTHPRIV = 10 << 3
LOG_NOTICE = 5


def private_dev_log():
    """A socket at /dev/log seen only by this process and its children."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    layers = tempfile.mkdtemp(prefix="otpgate-devlog-")
    upper, work = os.path.join(layers, "upper"), os.path.join(layers, "work")
    os.mkdir(upper)
    os.mkdir(work)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=/dev,upperdir=%s,workdir=%s" % (upper, work), "/dev"], check=True)
    if os.path.lexists("/dev/log"):
        os.unlink("/dev/log")
    sink = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sink.bind("/dev/log")
    os.chmod("/dev/log", 0o666)
    sink.settimeout(0.2)
    return sink, layers


SINK = None


def received(seconds=5.0, until=None):
    lines = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            lines.append(SINK.recv(65536).decode("utf-8", "replace"))
        except socket.timeout:
            pass
        if until and any(until in line for line in lines):
            break
    return lines


class AuthLog(unittest.TestCase):
    def setUp(self):
        helper_test.WORLD.reset()
        received(0.3)  # drop anything left over

    def find(self, lines, text):
        matching = [line for line in lines if text in line]
        self.assertTrue(matching, "no log line with %r in %r" % (text, lines))
        return matching[0]

    def test_root_provisioning_is_logged(self):
        result = subprocess.run([os.path.abspath(helper_test.ARGS.otpgate), "--config",
                                 helper_test.WORLD.user_config, "enroll", "sms",
                                 helper_test.NUMBER, "--user", "otpgvh1", "--verified"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        text = ("root enrolled SMS %s for user otpgvh1 as verified, without a code "
                "(provisioning)" % helper_test.MASKED)
        line = self.find(received(until=text), text)
        self.assertTrue(line.startswith("<%d>" % (LOG_AUTHPRIV | LOG_NOTICE)), line)
        self.assertRegex(line, r"otpgate\[\d+\]: ")
        self.assertNotIn("900123", line)  # masked, never the number

    def test_a_verification_through_the_helper_is_logged(self):
        world = helper_test.WORLD
        process = subprocess.Popen(world.as_user("otpgvh2", [world.helper, "sms",
                                                             helper_test.NUMBER_2]),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=world.user_env("otpgvh2"))
        code = helper_test.code_in(world.wait_for_message(1))
        _, err = process.communicate(code.encode() + b"\n", timeout=30)
        self.assertEqual(process.returncode, 0, err)
        text = "user otpgvh2 verified SMS %s by code" % helper_test.MASKED_2
        line = self.find(received(until=text), text)
        self.assertTrue(line.startswith("<%d>" % (LOG_AUTHPRIV | LOG_NOTICE)), line)
        self.assertRegex(line, r"otpgate-verify\[\d+\]: ")
        self.assertNotIn(code, line)

    def test_every_request_is_logged_with_the_real_users_name(self):
        world = helper_test.WORLD
        world.configure(["store = local"])
        result = world.run_helper("otpgvh1", ["enroll-totp", "--qr", "none"],
                                  stdin=b"000000\n000000\n000000\n")
        self.assertEqual(result.returncode, 1, result.stderr)
        secret = re.search(rb"Secret: +([A-Z2-7 ]+)", result.stdout).group(1).replace(b" ", b"")
        text = "user otpgvh1 did not confirm a new TOTP secret"
        lines = received(until=text)
        request = self.find(lines, "request of user otpgvh1: enroll-totp")
        self.assertTrue(request.startswith("<%d>" % (LOG_AUTHPRIV | LOG_NOTICE)), request)
        self.assertRegex(request, r"otpgate-verify\[\d+\]: ")
        self.find(lines, text)
        for line in lines:
            self.assertNotIn(secret.decode(), line.replace(" ", ""))
        self.assertFalse(os.path.exists(os.path.join(world.state_dir, ".enrollments", "otpgvh1")))


def main():
    global SINK
    parser = helper_test.argparse.ArgumentParser()
    for name in ("--helper", "--config", "--otpgate", "--module"):
        parser.add_argument(name, required=True)
    helper_test.ARGS, rest = parser.parse_known_args()
    helper_test.cli_sandbox.require("setpriv", "useradd", "userdel", "mount")
    SINK, layers = private_dev_log()
    helper_test.WORLD = helper_test.World()
    try:
        unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
    finally:
        helper_test.WORLD.cleanup()
        SINK.close()
        subprocess.run(["umount", "/dev"], check=False)
        helper_test.shutil.rmtree(layers, ignore_errors=True)


if __name__ == "__main__":
    main()
