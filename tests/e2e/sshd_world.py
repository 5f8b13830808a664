"""The world the sshd end-to-end tests log in to: a temporary folder with a
test CA, a local HTTPS SMS gateway and a real SMTP server (tests/servers),
an otpgate config, PAM services that name the built module by absolute
path, and /usr/sbin/sshd on 127.0.0.1 under pam_wrapper, so that /etc/pam.d
and /etc/ssh stay as they are.

Runs take a system-wide lock (users and pam_wrapper's /tmp/pam.? folders
are shared by every build folder); inside it, whatever a crashed run left
(users, folders, an sshd) is removed first.
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import cli_sandbox
from test_delivered_login import start_server

PYTHON = "/usr/bin/python3"
SERVERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers")
# By absolute path: /usr/sbin is not on every PATH, and sshd insists on it.
SSHD = "/usr/sbin/sshd"
USERADD = "/usr/sbin/useradd"
USERDEL = "/usr/sbin/userdel"
GROUPDEL = "/usr/sbin/groupdel"
PAM_WRAPPER_GLOB = "/usr/lib/*/" + cli_sandbox.PAM_WRAPPER_LIBRARY

# Every user and folder of these tests starts with these, which is how a
# later run recognises what a crashed one left behind.
USER_PREFIX = "otpgsshd"
KEY_USER_PREFIX = USER_PREFIX + "k"  # sshd_config asks these for a key and a code
DIR_PREFIX = "otpgate-sshd-"
LOCK_FILE = "/run/lock/otpgate-e2e-sshd.lock"


def run_quietly(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_file(path, text, mode=0o644):
    cli_sandbox.Sandbox.write_file(path, text, mode)


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


# --- one run at a time, and what a crashed run left ---------------------------------

def take_run_lock():
    return cli_sandbox.take_machine_lock(LOCK_FILE)


def our_user_names():
    return [entry.pw_name for entry in pwd.getpwall() if entry.pw_name.startswith(USER_PREFIX)]


def remove_user(name):
    # -f: even with a session still open; -r: the home and mail spool too.
    result = run_quietly([USERDEL, "-r", "-f", name])
    # 6: no such user (already gone); 12: no home to remove.
    if result.returncode not in (0, 6, 12):
        raise RuntimeError("userdel %s: %s" % (name, result.stdout))


def stop_processes_of(folder):
    """Stops what a crashed run left running in `folder` (sshd, the test
    servers): every process whose command line names the folder. sshd
    rewrites its command line but keeps the config path in it."""
    marker = (folder.rstrip("/") + "/").encode()
    stopped = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if marker in cmdline:
            try:
                os.kill(int(entry), signal.SIGTERM)
                stopped.append(entry)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    while any(process_alive(pid) for pid in stopped) and time.monotonic() < deadline:
        time.sleep(0.05)


def stop_process(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_cleanups(cleanups):
    """Runs every cleanup, newest first, even when one fails."""
    errors = []
    for cleanup in reversed(cleanups):
        try:
            cleanup()
        except Exception as error:  # noqa: BLE001 - reported below, after the others ran
            errors.append(error)
    if errors:
        raise errors[0]


def process_alive(pid_text):
    return pid_text.isdigit() and os.path.exists("/proc/" + pid_text)


def remove_pam_wrapper_copies(marker):
    """pam_wrapper copies the service folder into one of its shared
    /tmp/pam.? folders per process and leaves it behind when the process
    ends without running destructors, as sshd's children do. Removes the
    copies of our services (their files name `marker`) whose process is gone."""
    for folder in glob.glob("/tmp/pam.?"):
        if process_alive(read_text(os.path.join(folder, "pid")).strip()):
            continue
        if any(marker in read_text(os.path.join(folder, service)) for service in ("sshd", "su")):
            shutil.rmtree(folder, ignore_errors=True)


def remove_leftovers():
    for folder in glob.glob(os.path.join(tempfile.gettempdir(), DIR_PREFIX + "*")):
        stop_processes_of(folder)
        shutil.rmtree(folder, ignore_errors=True)
    remove_pam_wrapper_copies(os.path.join(tempfile.gettempdir(), DIR_PREFIX))
    for name in our_user_names():
        print("removing user %s left by an earlier run" % name)
        remove_user(name)
    for line in read_text("/etc/group").splitlines():
        name = line.split(":", 1)[0]
        if name.startswith(USER_PREFIX):
            run_quietly([GROUPDEL, name])


# --- the world: servers, config, PAM service, sshd ----------------------------------

class SshWorld:
    """Everything the tests share: a temporary folder, the test CA, the SMS
    gateway, the SMTP server, the otpgate config, the PAM services and one
    sshd. Users are made per test."""

    def __init__(self, module, cleanups):
        self.module = os.path.abspath(module)
        self.cleanups = cleanups  # a list of callables, run in reverse
        self.root = tempfile.mkdtemp(prefix=DIR_PREFIX)
        self.cleanups.append(lambda: shutil.rmtree(self.root, ignore_errors=True))
        self.config = self.path("otpgate.conf")
        self.cleanups.append(lambda: remove_pam_wrapper_copies(self.config))
        # Readable by all: the module reads a user's home as that user.
        os.chmod(self.root, 0o755)
        self.make_servers()
        self.write_config()
        self.write_pam_services()
        self.start_sshd()

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def make_servers(self):
        pki = self.path("pki")
        subprocess.run([PYTHON, os.path.join(SERVERS, "make_test_pki.py"), pki], check=True)
        self.ca = os.path.join(pki, "ca.pem")
        cert, key = os.path.join(pki, "server.pem"), os.path.join(pki, "server.key")
        self.sms_log = self.path("sms.jsonl")
        self.mail_log = self.path("mail.jsonl")
        gateway, self.gateway_port = start_server(
            [os.path.join(SERVERS, "sms_gateway.py"), "--log", self.sms_log,
             "--cert", cert, "--key", key, "--status", "200"])
        self.cleanups.append(lambda: stop_process(gateway))
        smtp, self.smtp_port = start_server(
            [os.path.join(SERVERS, "smtp_server.py"), "--out", self.mail_log,
             "--starttls", cert, key])
        self.cleanups.append(lambda: stop_process(smtp))

    def write_config(self):
        self.state_dir = self.path("state")
        lines = [
            "enrollment_path = %h/.otpgate",
            "state_dir = " + self.state_dir,
            'issuer = "otpgate sshd test"',
            # The real clock: one step either side keeps a code valid when
            # the check falls just after a step boundary.
            "totp_window = 1",
            "max_attempts = 2",
            'help_text = "No code? Call the service desk."',
            "fail_delay_ms = 0",
            "send_cooldown = 0",
            "sms_backend = generic",
            "http_url = https://127.0.0.1:%d/v1/send" % self.gateway_port,
            "http_body_type = json",
            'http_body = {"to": "{to}", "text": "{message}"}',
            "sms_allowed_countries = 44",
            "email_backend = smtp",
            "smtp_url = smtp://127.0.0.1:%d" % self.smtp_port,
            "email_from = otpgate@example.com",
            "tls_ca_file = " + self.ca,
            "delivery_timeout_ms = 5000",
            "delivery_connect_timeout_ms = 2000",
        ]
        write_file(self.config, "\n".join(lines) + "\n")

    def write_pam_services(self):
        stack = ("auth required %s config=%s\n"
                 "account required pam_permit.so\n"
                 "session required pam_permit.so\n"
                 "password required pam_deny.so\n" % (self.module, self.config))
        self.pam_dir = cli_sandbox.write_pam_services(self.path("pam.d"),
                                                      {"sshd": stack, "su": stack})

    def pam_wrapper_env(self):
        return {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "PAM_WRAPPER": "1",
            "PAM_WRAPPER_SERVICE_DIR": self.pam_dir,
            # The module's pam_syslog lines on stderr: su shows them; sshd's
            # PAM process sends its stderr nowhere.
            "PAM_WRAPPER_DEBUGLEVEL": "2",
            "LD_PRELOAD": cli_sandbox.preload(cli_sandbox.PAM_WRAPPER_LIBRARY),
            **cli_sandbox.SANITIZER_ENV,
            # Under the sanitizer build: sshd and su leak on their own.
            **({"ASAN_OPTIONS": cli_sandbox.SANITIZER_ENV.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
               if cli_sandbox.SANITIZER_PRELOAD else {}),
        }

    def start_sshd(self):
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation
        host_key = self.path("host_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test host",
                        "-f", host_key], check=True)
        self.port = free_port()
        self.sshd_config = self.path("sshd_config")
        self.sshd_log = self.path("sshd.log")
        self.sshd_stderr = self.path("sshd.stderr")
        write_file(self.sshd_config, "\n".join([
            "ListenAddress 127.0.0.1",
            "Port %d" % self.port,
            "HostKey " + host_key,
            "PidFile " + self.path("sshd.pid"),
            "UsePAM yes",
            "KbdInteractiveAuthentication yes",
            "PasswordAuthentication no",
            "PubkeyAuthentication yes",
            "AuthorizedKeysFile .ssh/authorized_keys",
            "AuthenticationMethods keyboard-interactive",
            "PermitRootLogin no",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "X11Forwarding no",
            "LoginGraceTime 60",
            "LogLevel VERBOSE",
            "Match User %s*" % KEY_USER_PREFIX,
            "    AuthenticationMethods publickey,keyboard-interactive",
        ]) + "\n")
        check = run_quietly([SSHD, "-t", "-f", self.sshd_config])
        if check.returncode != 0:
            raise RuntimeError("sshd -t: " + check.stdout)
        with open(self.sshd_stderr, "w", encoding="utf-8") as stderr:
            self.sshd = subprocess.Popen([SSHD, "-D", "-f", self.sshd_config, "-E", self.sshd_log],
                                         env=self.pam_wrapper_env(), stdin=subprocess.DEVNULL,
                                         stdout=stderr, stderr=stderr)
        self.cleanups.append(lambda: stop_process(self.sshd))
        deadline = time.monotonic() + 10
        while True:
            if self.sshd.poll() is not None:
                raise RuntimeError("sshd exited with %s: %s" % (self.sshd.returncode,
                                                                self.diagnostics()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("sshd does not listen: " + self.diagnostics())
                time.sleep(0.02)

    def diagnostics(self):
        return ("\n--- sshd log ---\n" + read_text(self.sshd_log)[-6000:] +
                "\n--- sshd stderr (pam_wrapper) ---\n" + read_text(self.sshd_stderr)[-6000:])
