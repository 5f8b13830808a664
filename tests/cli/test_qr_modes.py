"""Every QR style decodes back to the printed otpauth:// URI, byte for byte.

Runs `otpgate enroll totp --qr STYLE` with codes from a pipe (no terminal),
turns the drawing back into pixels and reads it with zbarimg.
"""

import argparse
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (tests/support: the cli and e2e tiers share it)
import qr_decode  # noqa: E402

OTPGATE = None


class QrStyles(unittest.TestCase):
    def setUp(self):
        self.sandbox = cli_sandbox.Sandbox(OTPGATE)
        self.addCleanup(self.sandbox.cleanup)

    def enroll_with_style(self, style, user="alice"):
        def answer(printed):
            return cli_sandbox.totp_code(cli_sandbox.printed_secret(printed), self.sandbox.now,
                                         cli_sandbox.printed_uri(printed)) + "\n"
        result = self.sandbox.run_answering(["enroll", "totp", "--user", user, "--qr", style],
                                            answer)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return result.stdout.decode("utf-8")

    def check_style(self, style):
        printed = self.enroll_with_style(style)
        uri = cli_sandbox.printed_uri(printed)
        self.assertEqual(qr_decode.decode(printed, self.sandbox.root), uri)
        return printed

    def test_ansi_draws_black_on_white_and_resets_each_line(self):
        printed = self.check_style("ansi")
        qr_rows = [line for line in printed.split("\n") if line.startswith("\x1b[30;107m")]
        self.assertGreater(len(qr_rows), 10)
        for line in qr_rows:
            self.assertTrue(line.endswith("\x1b[0m"), repr(line))

    def test_utf8_decodes(self):
        printed = self.check_style("utf8")
        self.assertNotIn("\x1b", printed)

    def test_utf8_inverted_decodes(self):
        printed = self.check_style("utf8i")
        self.assertNotIn("\x1b", printed)

    def test_ascii_decodes(self):
        printed = self.check_style("ascii")
        self.assertIn("##", printed)
        self.assertNotIn("\u2588", printed)

    def test_auto_without_a_terminal_is_utf8(self):
        printed = self.enroll_with_style("auto")
        self.assertNotIn("\x1b", printed)
        self.assertIn("\u2588", printed)
        self.assertEqual(qr_decode.decode(printed, self.sandbox.root),
                         cli_sandbox.printed_uri(printed))

    def test_none_draws_nothing(self):
        printed = self.enroll_with_style("none")
        self.assertEqual(qr_decode.qr_lines(printed), [])
        self.assertIn("otpauth://totp/", printed)

    def test_uri_encodes_issuer_and_user(self):
        printed = self.enroll_with_style("none")
        uri = cli_sandbox.printed_uri(printed)
        self.assertTrue(uri.startswith("otpauth://totp/otpgate%20test:alice?secret="), uri)
        params = cli_sandbox.uri_parameters(uri)
        self.assertEqual(params["secret"], cli_sandbox.printed_secret(printed).replace(" ", ""))
        self.assertEqual((params["algorithm"], params["digits"], params["period"]),
                         ("SHA1", "6", "30"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    options, rest = parser.parse_known_args()
    OTPGATE = options.otpgate
    cli_sandbox.require("oathtool", "zbarimg", "setpriv")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
