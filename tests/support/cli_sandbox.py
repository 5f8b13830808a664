"""A throwaway world for running the real otpgate command.

Users come from nss_wrapper files, homes and the state directory live in a
temporary directory, and time is pinned with libfaketime so that tests can
step the clock instead of sleeping. Nothing outside the temporary directory
is written.
"""

import fcntl
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

SKIP = 77  # ctest SKIP_RETURN_CODE

FAKETIME_LIBRARY = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
NSS_WRAPPER_LIBRARY = "libnss_wrapper.so"
PAM_WRAPPER_LIBRARY = "libpam_wrapper.so"

# The sanitizer build (scripts/sanitize, tests/CMakeLists.txt) names the ASan
# runtime (and libcrypt) in OTPGATE_TEST_PRELOAD: they go first in every
# LD_PRELOAD, and the sanitizers' variables go to every child. Both are empty
# in a normal build.
SANITIZER_PRELOAD = [p for p in os.environ.get("OTPGATE_TEST_PRELOAD", "").split(":") if p]
SANITIZER_ENV = {name: os.environ[name] for name in
                 ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "PAM_WRAPPER_DISABLE_DEEPBIND")
                 if name in os.environ}


def preload(*libraries):
    """An LD_PRELOAD value: the ASan runtime first under the sanitizer build."""
    return " ".join(SANITIZER_PRELOAD + list(libraries))

# Ten seconds into a 30-second step: 1700000020 = 2023-11-14 22:13:40 UTC.
START_TIME = 1700000020

USERS = {"alice": 4301, "bob": 4302}

# The store the tiers run with (`store`): OTPGATE_TEST_STORE, `files` (also
# when unset) or `local`; tests/CMakeLists.txt registers each test once per
# store. With `local`, root keeps each enrollment in
# <state_dir>/.enrollments/<user>, root's 0600, its first line naming the
# account: LOCAL_OWNER_LINE % uid, then the text a user's file would hold.
STORE = os.environ.get("OTPGATE_TEST_STORE") or "files"
if STORE not in ("files", "local"):
    raise SystemExit("OTPGATE_TEST_STORE must be files or local, not %r" % STORE)
LOCAL_STORE = STORE == "local"
LOCAL_OWNER_LINE = "otpgate-local-enrollment uid=%d\n"


def store_config_line():
    return "store = " + STORE


def enrollment_location(state_dir, home, user):
    """Where the store keeps `user`'s enrollment (files: the default
    enrollment_path, %h/.otpgate)."""
    if LOCAL_STORE:
        return os.path.join(state_dir, ".enrollments", user)
    return os.path.join(home, ".otpgate")


def enrollment_owner(uid):
    """The owner the store requires of the enrollment of the user `uid`."""
    return 0 if LOCAL_STORE else uid


def read_enrollment(path, uid):
    """The enrollment text at `path` (bytes), as a user's file holds it: in
    the local store, after the first line, which must name `uid`."""
    with open(path, "rb") as f:
        text = f.read()
    if LOCAL_STORE:
        owner_line, _, text = text.partition(b"\n")
        expected = (LOCAL_OWNER_LINE % uid).rstrip("\n").encode()
        if owner_line != expected:
            raise AssertionError("%s starts with %r, not %r" % (path, owner_line, expected))
    return text


def plant_enrollment(path, text, uid, gid, mode=0o600):
    """Writes `text` (bytes) at `path`, owned and laid out as the store
    wants its files, so that only `text` can be refused."""
    if LOCAL_STORE:
        for folder in (os.path.dirname(os.path.dirname(path)), os.path.dirname(path)):
            os.makedirs(folder, mode=0o700, exist_ok=True)
            os.chmod(folder, 0o700)
        text = (LOCAL_OWNER_LINE % uid).encode() + text
        uid = gid = 0
    if os.path.lexists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.write(text)
    os.chmod(path, mode)
    os.chown(path, uid, gid)


def tree_listing(*tops):
    """Every file and folder under `tops`: kind, mode, owner and content,
    to show that a command changed nothing."""
    seen = {}
    for top in tops:
        for folder, folders, files in os.walk(top):
            for name in folders + files:
                path = os.path.join(folder, name)
                info = os.lstat(path)
                content = None
                if stat.S_ISREG(info.st_mode):
                    with open(path, "rb") as f:
                        content = f.read()
                seen[path] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode),
                              info.st_uid, info.st_gid, content)
    return seen


def files_store_only(reason):
    """Skips a test (visibly) with store = local: it is about a user's own file."""
    return unittest.skipIf(LOCAL_STORE, "only with store = files: " + reason)


def local_store_only(reason):
    return unittest.skipUnless(LOCAL_STORE, "only with store = local: " + reason)


def require(*programs):
    """Fails when a tool the test needs is missing: scripts/install-deps
    installs them all, so a missing one is a broken setup, never a reason
    to pass quietly. Only a run without root is skipped."""
    missing = [p for p in programs if shutil.which(p) is None]
    for library in (FAKETIME_LIBRARY, "/usr/lib/x86_64-linux-gnu/" + NSS_WRAPPER_LIBRARY):
        if not os.path.exists(library):
            missing.append(library)
    if missing:
        print("missing " + ", ".join(missing) + " (scripts/install-deps installs them)")
        sys.exit(1)
    if os.geteuid() != 0:
        print("skipped: needs root (the tests switch to throwaway users)")
        sys.exit(SKIP)


class Sandbox:
    def __init__(self, otpgate, config_lines=()):
        self.otpgate = os.path.abspath(otpgate)
        self.root = tempfile.mkdtemp(prefix="otpgate-cli-")
        # Throwaway users must be able to reach their homes inside it.
        os.chmod(self.root, 0o755)
        self.now = START_TIME
        self.state_dir = os.path.join(self.root, "state")
        self._write_users()
        self.config = os.path.join(self.root, "otpgate.conf")
        lines = [
            "enrollment_path = %h/.otpgate",
            "state_dir = " + self.state_dir,
            store_config_line(),
            "fail_delay_ms = 0",
            # nss_wrapper users are invisible to a set-uid program: these
            # tests run without otpgate-verify (tests/helper has it).
            "verify_helper =",
            "max_attempts = 1",
            'issuer = "otpgate test"',
        ] + list(config_lines)
        self.write_file(self.config, "\n".join(lines) + "\n", 0o644)
        self.faketime_file = os.path.join(self.root, "faketime")
        self.set_time(self.now)

    # --- the world -------------------------------------------------------

    def _write_users(self):
        passwd = ["root:x:0:0:root:%s:/bin/sh" % self.home("root")]
        group = ["root:x:0:"]
        os.makedirs(self.home("root"), mode=0o700)
        for name, uid in USERS.items():
            passwd.append("%s:x:%d:%d:%s:%s:/bin/sh" % (name, uid, uid, name, self.home(name)))
            group.append("%s:x:%d:" % (name, uid))
            os.makedirs(self.home(name), mode=0o755)
            os.chown(self.home(name), uid, uid)
        self.passwd = os.path.join(self.root, "passwd")
        self.group = os.path.join(self.root, "group")
        self.write_file(self.passwd, "\n".join(passwd) + "\n", 0o644)
        self.write_file(self.group, "\n".join(group) + "\n", 0o644)

    def home(self, user):
        return os.path.join(self.root, "home", user)

    def enrollment_file(self, user):
        """Where the store under test keeps the user's enrollment."""
        return enrollment_location(self.state_dir, self.home(user), user)

    def uid(self, user):
        return 0 if user == "root" else USERS[user]

    def enrollment_owner(self, user):
        return enrollment_owner(self.uid(user))

    def read_enrollment(self, user):
        return read_enrollment(self.enrollment_file(user), self.uid(user))

    def plant_enrollment(self, user, text, mode=0o600):
        uid = self.uid(user)
        plant_enrollment(self.enrollment_file(user), text, uid, uid, mode)

    def state_file(self, user):
        return os.path.join(self.state_dir, user)

    def pam_services(self, auth_lines, folder="pam.d"):
        """A pam_wrapper service folder inside the sandbox: one service per
        entry of `auth_lines` (name -> what follows `auth required`), each
        with `account required pam_permit.so` (write_pam_services). Returns
        the folder."""
        return write_pam_services(
            os.path.join(self.root, folder),
            {name: "auth required %s\naccount required pam_permit.so\n" % auth
             for name, auth in auth_lines.items()})

    def pamtester(self, service_dir, service, user, code):
        """One login through pam_wrapper's `service_dir` with pamtester
        typing `code`: (exit status, 0 when let in; everything printed)."""
        env = self.env(extra_preload=[PAM_WRAPPER_LIBRARY])
        env.update({"PAM_WRAPPER": "1", "PAM_WRAPPER_SERVICE_DIR": service_dir})
        result = subprocess.run(["pamtester", "-v", service, user, "authenticate"], env=env,
                                input=(code + "\n").encode(), capture_output=True, timeout=30)
        return result.returncode, result.stdout.decode() + result.stderr.decode()

    def enroll_totp_as_root(self, user):
        """`otpgate enroll totp --user USER`, confirmed with the code of the
        secret it printed; the clock then moves a step on, past the spent
        confirming code. Returns (secret, uri, printed backup codes)."""
        seen = {}

        def answer(printed):
            seen["secret"] = printed_secret(printed)
            seen["uri"] = printed_uri(printed)
            return totp_code(seen["secret"], self.now, seen["uri"]) + "\n"

        result = self.run_answering(["enroll", "totp", "--qr", "none", "--user", user], answer)
        if result.returncode != 0:
            raise AssertionError("enroll totp --user %s: %s" % (user, result.stderr.decode()))
        self.advance(30)
        return seen["secret"], seen["uri"], printed_backup_codes(result.stdout.decode())

    def module_line(self, module, extra=""):
        """`MODULE config=SANDBOX_CONFIG EXTRA`, for pam_services."""
        return "%s config=%s%s" % (os.path.abspath(module), self.config, extra)

    @staticmethod
    def write_file(path, text, mode):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, mode)

    def set_time(self, unix_time):
        self.now = unix_time
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(unix_time))
        self.write_file(self.faketime_file, stamp + "\n", 0o644)

    def advance(self, seconds):
        self.set_time(self.now + seconds)

    def cleanup(self):
        if os.environ.get("OTPGATE_KEEP_TEST_DIR"):
            print("kept " + self.root)
            return
        shutil.rmtree(self.root, ignore_errors=True)

    # --- running things ----------------------------------------------------

    def env(self, extra_preload=()):
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "HOME": self.home("root"),
            "NSS_WRAPPER_PASSWD": self.passwd,
            "NSS_WRAPPER_GROUP": self.group,
            "FAKETIME_TIMESTAMP_FILE": self.faketime_file,
            "FAKETIME_NO_CACHE": "1",
            # Only the wall clock is pinned: timeouts (libcurl, poll) run
            # on the monotonic clock and must keep ticking.
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "LD_PRELOAD": preload(*extra_preload, NSS_WRAPPER_LIBRARY, FAKETIME_LIBRARY),
            **SANITIZER_ENV,
        }
        return env

    def command(self, args, as_uid=None, config=True):
        """The argv that runs otpgate with the test config (unless `config` is
        False), optionally as a throwaway user."""
        argv = [self.otpgate] + (["--config", self.config] if config else []) + list(args)
        if as_uid is not None:
            # libfaketime in a process that starts as root leaves a semaphore
            # the throwaway uid cannot open: preload it after the switch.
            argv = ["setpriv", "--reuid=%d" % as_uid, "--regid=%d" % as_uid, "--clear-groups",
                    "--", "env", "LD_PRELOAD=" + self.env()["LD_PRELOAD"]] + argv
        return argv

    def env_for(self, as_uid):
        env = self.env()
        if as_uid is not None:
            env["LD_PRELOAD"] = NSS_WRAPPER_LIBRARY
        return env

    def run(self, args, as_uid=None, stdin_text=None, config=True):
        return subprocess.run(self.command(args, as_uid, config), env=self.env_for(as_uid),
                              input=(stdin_text or "").encode(), capture_output=True, timeout=30)

    def run_answering(self, args, answer, as_uid=None):
        """Runs a command that prints a secret and then reads codes from a pipe,
        the way a provisioning script drives it: `answer(stdout_so_far)` gives
        the text to send (or None to close stdin at once)."""
        with subprocess.Popen(self.command(args, as_uid), env=self.env_for(as_uid),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as process:
            seen = b""
            while b"Parameters:" not in seen:
                line = process.stdout.readline()
                if not line:
                    break
                seen += line
            text = answer(seen.decode("utf-8"))
            if text is not None:
                process.stdin.write(text.encode())
            process.stdin.close()
            rest = process.stdout.read()
            errors = process.stderr.read()
            process.wait(timeout=30)
        return subprocess.CompletedProcess(process.args, process.returncode, seen + rest, errors)


# --- what otpgate prints ---------------------------------------------------

def write_pam_services(directory, stacks):
    """Makes `directory`, a pam_wrapper service folder: one service file per
    entry of `stacks` (name -> its lines), and an `other` that denies, so
    nothing falls through to /etc/pam.d. Returns the folder."""
    os.mkdir(directory)
    for name, stack in stacks.items():
        Sandbox.write_file(os.path.join(directory, name), stack, 0o644)
    Sandbox.write_file(os.path.join(directory, "other"),
                       "auth required pam_deny.so\naccount required pam_deny.so\n", 0o644)
    return directory


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def printed_secret(text):
    match = re.search(r"^\s*Secret:\s+([A-Z2-7 ]+?)\s*$", text, re.M)
    assert match, "no secret in:\n" + text
    return match.group(1)


def printed_uri(text):
    match = re.search(r"^\s*URI:\s+(otpauth://\S+)\s*$", text, re.M)
    assert match, "no URI in:\n" + text
    return match.group(1)


def printed_backup_codes(text):
    return re.findall(r"^\s+\d+\.\s+(\d+-\d+)\s*$", text, re.M)


def uri_parameters(uri):
    query = uri.split("?", 1)[1]
    return dict(part.split("=", 1) for part in query.split("&"))


def totp_code(secret, unix_time, uri=None):
    """The code an authenticator app shows, from oathtool (an independent implementation)."""
    params = uri_parameters(uri) if uri else {}
    argv = ["oathtool", "--totp=" + params.get("algorithm", "SHA1").lower(),
            "--digits=" + params.get("digits", "6"),
            "--time-step-size=%ss" % params.get("period", "30"),
            "-b", "-N", "@%d" % unix_time, secret.replace(" ", "")]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


def wrong_code(code):
    return "".join(str((int(c) + 5) % 10) for c in code)


def take_machine_lock(path, seconds=300):
    """Serialises test runs across build folders (ctest's RESOURCE_LOCK holds
    only within one ctest) around what is system-wide: real users made with
    useradd and the sweep of a crashed run's leftovers. Returns the open
    file; the lock lasts until it is closed or the process ends."""
    handle = open(path, "w", encoding="ascii")
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise RuntimeError("another test run holds " + path)
            time.sleep(0.2)
