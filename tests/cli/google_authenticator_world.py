"""google-authenticator files made by Debian's real tool, and logins through
a real PAM stack (pamtester under pam_wrapper), for the import tests.

Files are made at test time by /usr/bin/google-authenticator, run as the
throwaway user (nss_wrapper) so that they have the owner and mode the tool
gives them. A stack can hold pam_otpgate.so or the real
pam_google_authenticator.so, which shows what logins leave in the file.
"""

import os
import subprocess

import cli_sandbox

GOOGLE_AUTHENTICATOR = "google-authenticator"
GOOGLE_AUTHENTICATOR_MODULE = "pam_google_authenticator.so"
# Yes to every question of the interactive tool.
INTERACTIVE_DEFAULTS = ("--time-based", "--disallow-reuse", "--rate-limit=3", "--rate-time=30",
                        "--window-size=3", "--emergency-codes=5")


def default_path(sandbox, user):
    return os.path.join(sandbox.home(user), ".google_authenticator")


def make_file(sandbox, user, options=INTERACTIVE_DEFAULTS, path=None):
    """Runs google-authenticator as `user`; returns the path it wrote."""
    path = path or default_path(sandbox, user)
    uid = cli_sandbox.USERS[user]
    argv = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups", "--",
            GOOGLE_AUTHENTICATOR, "--force", "--quiet", "--no-confirm", "--secret=" + path,
            "--label=%s@test" % user, "--issuer=test"] + list(options)
    subprocess.run(argv, env=sandbox.env_for(uid), stdin=subprocess.DEVNULL,
                   capture_output=True, check=True, timeout=30)
    return path


def read_text(path):
    with open(path, encoding="ascii") as f:
        return f.read()


def secret_of(path):
    return read_text(path).splitlines()[0]


def scratch_codes_of(path):
    return [line for line in read_text(path).splitlines()
            if len(line) == 8 and line.isdigit()]


def code_at(secret, unix_time, period=30):
    """What the phone app shows, from oathtool (an independent implementation)."""
    uri = "otpauth://totp/x?secret=%s&period=%d" % (secret, period)
    return cli_sandbox.totp_code(secret, unix_time, uri)


class PamStack:
    """A service file with one auth module, run by pamtester as root."""

    def __init__(self, sandbox, module_line, name):
        self.sandbox = sandbox
        self.service = name
        self.directory = sandbox.pam_services({name: module_line}, "pam.d-" + name)

    def log_in(self, user, code):
        """(pamtester's exit code, its output): 0 when the module let the user in."""
        env = self.sandbox.env(extra_preload=[cli_sandbox.PAM_WRAPPER_LIBRARY])
        env.update({"PAM_WRAPPER": "1", "PAM_WRAPPER_SERVICE_DIR": self.directory})
        result = subprocess.run(["pamtester", "-v", self.service, user, "authenticate"], env=env,
                                input=(code + "\n").encode(), capture_output=True, timeout=30)
        output = result.stdout.decode() + result.stderr.decode()
        # Both modules prompt so: proof that pam_wrapper ran this stack, not /etc/pam.d.
        assert "Verification code: " in output, output
        return result.returncode, output


def otpgate_stack(sandbox, module):
    return PamStack(sandbox, "%s config=%s" % (os.path.abspath(module), sandbox.config),
                    "otpgate-import-test")


def google_authenticator_stack(sandbox):
    return PamStack(sandbox, GOOGLE_AUTHENTICATOR_MODULE, "google-authenticator-test")
