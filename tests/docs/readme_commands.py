"""Every command in the README's sysadmin guide is one that CI or a test runs.

The guide's shell blocks are read from README.md; each command must be
listed below with the file that runs it and the text by which it runs it
there (the same command, with the test's own user, paths or port). A
command added to the guide without a test, a runner that no longer contains
it, or a listed command that left the guide, all fail.

Usage: readme_commands.py SOURCE_DIR
"""

import os
import re
import sys

GUIDE_HEADING = "## The sysadmin's guide"

CI = "scripts/ci-packages"
GUIDE = "scripts/ci-admin-guide"
SSHD = "tests/e2e/test_sshd_login.py"
SSHD_WORLD = "tests/e2e/sshd_world.py"

# README command -> (file that runs it, text it runs it by)
RUN_BY = {
    "./scripts/install-deps": (CI, "./scripts/install-deps"),
    "dpkg-buildpackage -us -uc -b": (CI, "dpkg-buildpackage -us -uc -b"),
    "dpkg -i ../libpam-otpgate_0.1.0-2_amd64.deb ../otpgate_0.1.0-2_amd64.deb":
        (CI, 'dpkg -i "${debs[@]}"'),
    "otpgate enroll totp --user alice": (CI, 'otpgate enroll totp --user "$test_user"'),
    'otpgate enroll sms "+61 491 570 156" --user alice':
        (SSHD, '"enroll", channel, destination, "--user", user'),
    "otpgate enroll email alice@example.com --user alice":
        (SSHD, '"enroll", channel, destination, "--user", user'),
    "otpgate status --user alice": (CI, 'otpgate status --user "$test_user"'),
    "cp /usr/share/doc/libpam-otpgate/examples/sshd_config.d/otpgate.conf /etc/ssh/sshd_config.d/":
        (GUIDE, "cp /usr/share/doc/libpam-otpgate/examples/sshd_config.d/otpgate.conf "
                "/etc/ssh/sshd_config.d/"),
    "sshd -t": (GUIDE, "sshd -t ||"),
    "pam-auth-update --enable otpgate": (CI, "pam-auth-update --enable otpgate"),
    "pam-auth-update --disable otpgate": (CI, "pam-auth-update --disable otpgate"),
    "/usr/bin/python3 tests/servers/make_test_pki.py /tmp/otpgate-pki":
        (GUIDE, "/usr/bin/python3 tests/servers/make_test_pki.py /tmp/otpgate-pki"),
    "/usr/bin/python3 tests/servers/sms_gateway.py --log /tmp/otpgate-sms.jsonl "
    "--cert /tmp/otpgate-pki/server.pem --key /tmp/otpgate-pki/server.key":
        (GUIDE, "/usr/bin/python3 tests/servers/sms_gateway.py --log /tmp/otpgate-sms.jsonl "
                "--cert /tmp/otpgate-pki/server.pem --key /tmp/otpgate-pki/server.key"),
    "otpgate disable --user alice": (GUIDE, 'otpgate disable --user "$user"'),
    "dpkg -r otpgate libpam-otpgate": (CI, "dpkg -r otpgate libpam-otpgate"),
    "dpkg -P otpgate libpam-otpgate": (CI, "dpkg -P otpgate libpam-otpgate"),
}

# The configuration lines the guide shows for the test gateway.
CONFIG_LINES_RUN_BY = GUIDE
# The PAM lines it shows (a `pam` block) are the shipped example's, which
# scripts/ci-admin-guide puts in /etc/pam.d/sshd and
# tests/pam/guide_stack_test.cpp runs through libpam.
PAM_LINES_FROM = "conf/pam.d/sshd"


def guide_blocks(readme):
    start = readme.index(GUIDE_HEADING)
    end = readme.find("\n## ", start + len(GUIDE_HEADING))
    guide = readme[start:end if end != -1 else len(readme)]
    return re.findall(r"```(\w*)\n(.*?)```", guide, re.S), guide


def commands_in(block):
    for line in block.splitlines():
        command = re.sub(r"\s+#.*$", "", line.strip())
        if command and not command.startswith("#"):
            yield command


def main():
    source = sys.argv[1]
    with open(os.path.join(source, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    blocks, guide = guide_blocks(readme)
    problems = []
    seen = set()
    for language, block in blocks:
        if language == "sh":
            for command in commands_in(block):
                seen.add(command)
                if command not in RUN_BY:
                    problems.append("the guide's command %r is run by no test or CI step "
                                    "listed in %s" % (command, os.path.basename(__file__)))
        elif language == "pam":
            with open(os.path.join(source, PAM_LINES_FROM), encoding="utf-8") as f:
                example = [line.split() for line in f if line.strip() and not line.startswith("#")]
            shown = [line.split() for line in block.splitlines() if line.strip()]
            if shown != example:
                problems.append("the guide's PAM lines %r are not the active lines of %s %r"
                                % (shown, PAM_LINES_FROM, example))
        else:
            with open(os.path.join(source, CONFIG_LINES_RUN_BY), encoding="utf-8") as f:
                runner = f.read()
            for line in block.splitlines():
                text = line.strip().replace("PORT", "$port")
                if text and text not in runner:
                    problems.append("the guide's config line %r is not what %s uses"
                                    % (line.strip(), CONFIG_LINES_RUN_BY))
    for command, (path, text) in RUN_BY.items():
        if command not in seen:
            problems.append("%r is listed here but no longer in the guide" % command)
            continue
        with open(os.path.join(source, path), encoding="utf-8") as f:
            if text not in f.read():
                problems.append("%s no longer runs %r (looked for %r)" % (path, command, text))
    if "Every command below is one that CI or a test runs" not in guide:
        problems.append("the guide no longer says its commands are tested")
    for problem in problems:
        print(problem)
    print("%d guide commands, each run by CI or a test" % len(seen) if not problems else
          "%d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
