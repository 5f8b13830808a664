"""A simulated host of a fleet for the store tests: its own otpgate.conf,
otpgate.secrets and state folder in a temporary directory, pointing at a
tests/servers/postgres_server.py server, and the otpgate command run with
them (as root, as an administrator would)."""
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cli_sandbox  # noqa: E402  (the sanitizer build's preload and options)

OWNER_PASSWORD_VARIABLE = "OTPGATE_STORE_OWNER_PASSWORD"


def store_url(server, role="otpgate_login", port=None, sslmode="verify-full", host="127.0.0.1"):
    """store_url for `role`, without a password (it belongs in otpgate.secrets);
    `host` may be a list ("nowhere.test,localhost"), every one on the server's port."""
    query = urllib.parse.urlencode({"sslmode": sslmode, "sslrootcert": server.ca_file})
    hosts = ",".join("%s:%d" % (name, port or server.port) for name in host.split(","))
    return "postgresql://%s@%s/otpgate?%s" % (role, hosts, query)


def command_env(extra=None):
    """A small environment for otpgate and logins, with the sanitizer
    build's options when there are any (scripts/sanitize)."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    env.update(cli_sandbox.SANITIZER_ENV)
    env.update(extra or {})
    return env


class SimulatedHost:
    def __init__(self, otpgate, server, name="host-a", store="postgresql", password=None,
                 key=None, url=None, extra_lines=()):
        self.otpgate = otpgate
        self.server = server
        self.name = name
        self.root = tempfile.mkdtemp(prefix="otpgate-host-")
        os.chmod(self.root, 0o700)
        self.state_dir = os.path.join(self.root, "state")
        os.mkdir(self.state_dir, 0o700)
        self.config = os.path.join(self.root, "otpgate.conf")
        self.secrets = os.path.join(self.root, "otpgate.secrets")
        self.key = key if key is not None else os.urandom(32).hex()
        self.write_config(store, url or store_url(server), extra_lines)
        self.write_secrets(password if password is not None
                           else server.passwords["otpgate_login"], self.key)

    def write_config(self, store, url, extra_lines=()):
        lines = ["store = " + store,
                 "store_url = " + url,
                 "store_timeout_ms = 3000",
                 "host_name = " + self.name,
                 "state_dir = " + self.state_dir,
                 "credentials_file = " + self.secrets,
                 *extra_lines]
        with open(self.config, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    def write_secrets(self, password, key):
        lines = []
        if password:
            lines.append("store_password = " + password)
        if key:
            lines.append("store_key = " + key)
        fd = os.open(self.secrets, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    def run(self, *args, owner_password=None, stdin_text="", timeout=60):
        env = command_env()
        if owner_password is not None:
            env[OWNER_PASSWORD_VARIABLE] = owner_password
        return subprocess.run([self.otpgate, "--config", self.config, *args],
                              input=stdin_text, capture_output=True, text=True, env=env,
                              timeout=timeout)

    def init(self, *extra):
        return self.run("store", "init", "--owner", "otpgate_owner", *extra,
                        owner_password=self.server.passwords["otpgate_owner"])

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)
