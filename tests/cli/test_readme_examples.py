"""The phone numbers the documentation shows run cleanly: each number of an
`otpgate enroll sms "..."` in README.md and otpgate(1), and the national
example of conf/otpgate.conf with its region, is enrolled by the real
command without a warning (a number in a range libphonenumber does not
know gets one), in the countries the README's configuration allows. The
numbers are read from the documents, so a new example is checked too."""

import argparse
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (tests/support: the cli and e2e tiers share it)

OTPGATE = None
SOURCE = None

ENROLL_SMS = re.compile(r'otpgate enroll sms "([^"]+)"')


def read(relative):
    with open(os.path.join(SOURCE, relative), encoding="utf-8") as f:
        return f.read()


def international_examples():
    """(document, number) for every international number shown."""
    found = []
    for document in ("README.md", "man/otpgate.1"):
        text = read(document).replace("\\-", "-")
        found += [(document, number) for number in ENROLL_SMS.findall(text)]
    return found


class ReadmeExamples(unittest.TestCase):
    def enroll(self, number, config_lines):
        sandbox = cli_sandbox.Sandbox(OTPGATE, ["sms_backend = file", "send_cooldown = 0"] +
                                      config_lines)
        self.addCleanup(sandbox.cleanup)
        return sandbox.run(["enroll", "sms", number, "--user", "alice", "--verified"],
                           stdin_text="")

    def assert_clean(self, where, number, result):
        errors = result.stderr.decode()
        self.assertEqual(result.returncode, 0, "%s: %s: %s" % (where, number, errors))
        self.assertNotIn("does not know", errors, "%s: %s" % (where, number))
        self.assertNotIn("warning", errors.lower(), "%s: %s" % (where, number))

    def allowed_countries(self):
        """The line of the README's own configuration (the test gateway)."""
        allowed = re.findall(r"^sms_allowed_countries = .+$", read("README.md"), re.M)
        self.assertEqual(len(allowed), 1, allowed)
        return allowed[0]

    def test_international_numbers_enroll_without_a_warning(self):
        examples = international_examples()
        self.assertGreaterEqual(len(examples), 5, examples)
        for where, number in sorted(set(examples)):
            with self.subTest(number=number, where=where):
                result = self.enroll(number, [self.allowed_countries()])
                self.assert_clean(where, number, result)

    def test_the_national_example_enrolls_without_a_warning(self):
        conf = read("conf/otpgate.conf")
        match = re.search(r"# Region \(ISO 3166, e\.g\. ([A-Z]{2})\)[^`]*`otpgate enroll sms "
                          r'"([^"]+)"`', conf)
        self.assertIsNotNone(match, "conf/otpgate.conf's phone_default_region example")
        region, number = match.groups()
        result = self.enroll(number, ["phone_default_region = " + region,
                                      self.allowed_countries()])
        self.assert_clean("conf/otpgate.conf", number, result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    parser.add_argument("--source", required=True)
    options, rest = parser.parse_known_args()
    OTPGATE = os.path.abspath(options.otpgate)
    SOURCE = os.path.abspath(options.source)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
