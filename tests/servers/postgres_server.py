#!/usr/bin/python3
"""A throwaway PostgreSQL 15 server for tests, from Debian's packages.

    postgres_server.py start DIR    # prints the two roles' URIs, leaves it running
    postgres_server.py stop DIR     # stops it and removes DIR

As a module: `with PostgresServer() as server:` (or start() / stop()).

The server runs as the system user `postgres` (made by Debian's
postgresql-common) in a private folder: data, its Unix socket, a test PKI
(make_test_pki.py) and its log. It listens on 127.0.0.1 only, on a free
port; TCP clients must use TLS and SCRAM (`hostssl ... scram-sha-256`), and
only the superuser may come in, by peer, on the socket in that folder (the
fixture's own setup). It makes an owner role, which owns a database and a
schema, and a login role with USAGE on that schema only. A third role,
otpgate_cert, is a member of the login role (so it holds what `otpgate
store init` grants that role) and comes in only with a client certificate
(`hostssl ... cert`) whose CN is its name, signed by the test CA that the
server trusts for clients (ssl_ca_file); client_cert_file/client_key_file
are such a certificate and key, rogue_client_* the same name from a CA the
server does not trust. start_standby()
adds a synchronous streaming standby (postgres_standby.py). Every wait has a
deadline; stop() ends the server (fast shutdown, then SIGKILL) and removes
the folder. Needs root.
"""
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

BIN = "/usr/lib/postgresql/15/bin"
SERVER_USER = "postgres"
DATABASE = "otpgate"
SCHEMA = "otpgate"
OWNER = "otpgate_owner"
LOGIN = "otpgate_login"
CERT_LOGIN = "otpgate_cert"  # make_test_pki.py's client certificates name it
START_SECONDS = 30
STOP_SECONDS = 10
HERE = os.path.dirname(os.path.abspath(__file__))


class PostgresMissing(RuntimeError):
    """PostgreSQL 15 or its system user is not installed (scripts/install-deps)."""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


class PostgresServer:
    def __init__(self, root=None):
        """`root`: the private folder (made if missing, must be empty); default a new one."""
        self.root = root
        self.port = None
        self.passwords = {}
        self.postmaster_pid = None
        self.standbys = []  # started by start_standby(), stopped by stop()

    # Layout of the private folder.
    @property
    def data_dir(self):
        return os.path.join(self.root, "data")

    @property
    def socket_dir(self):
        return os.path.join(self.root, "socket")

    @property
    def pki_dir(self):
        return os.path.join(self.root, "pki")

    @property
    def ca_file(self):
        return os.path.join(self.pki_dir, "ca.pem")

    # The client certificates and their keys (root's, 0600).
    @property
    def client_cert_file(self):
        return os.path.join(self.pki_dir, "client.pem")

    @property
    def client_key_file(self):
        return os.path.join(self.pki_dir, "client.key")

    @property
    def rogue_client_cert_file(self):
        return os.path.join(self.pki_dir, "rogue-client.pem")

    @property
    def rogue_client_key_file(self):
        return os.path.join(self.pki_dir, "rogue-client.key")

    @property
    def log_file(self):
        return os.path.join(self.root, "server.log")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_):
        self.stop()

    def _as_server_user(self, argv, timeout, check=True, input_text=None):
        result = subprocess.run(["runuser", "-u", SERVER_USER, "--", *argv],
                                input=input_text, capture_output=True, text=True,
                                timeout=timeout, cwd="/")
        if check and result.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (
                os.path.basename(argv[0]), result.returncode, result.stderr, self.log()))
        return result

    def log(self):
        try:
            with open(self.log_file, encoding="utf-8", errors="replace") as f:
                return "\n--- server log ---\n" + f.read()[-4000:]
        except OSError:
            return ""

    def start(self):
        if os.geteuid() != 0:
            raise PermissionError("postgres_server needs root")
        if not os.access(os.path.join(BIN, "postgres"), os.X_OK):
            raise PostgresMissing(BIN + "/postgres is missing: install postgresql-15")
        try:
            user = pwd.getpwnam(SERVER_USER)
        except KeyError as error:
            raise PostgresMissing("no user %s: install postgresql-15" % SERVER_USER) from error
        if self.root is None:
            self.root = tempfile.mkdtemp(prefix="otpgate-pg-")
        else:
            os.makedirs(self.root, exist_ok=True)
            if os.listdir(self.root):
                raise FileExistsError(self.root + " is not empty")
        try:
            self._start(user)
        except BaseException:
            self.stop()
            raise

    def _start(self, user):
        os.chmod(self.root, 0o700)
        subprocess.run([sys.executable, os.path.join(HERE, "make_test_pki.py"), self.pki_dir],
                       check=True, timeout=30, capture_output=True)
        os.mkdir(self.socket_dir, 0o700)
        # The client's files stay root's: the tests' clients run as root.
        for path in (self.root, self.socket_dir, self.pki_dir,
                     *(os.path.join(self.pki_dir, n) for n in os.listdir(self.pki_dir)
                       if not n.startswith(("client.", "rogue-client.")))):
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(os.path.join(self.pki_dir, "server.key"), 0o600)

        self._as_server_user([os.path.join(BIN, "initdb"), "-D", self.data_dir, "-U", "postgres",
                              "--auth-local=peer", "--auth-host=scram-sha-256",
                              "--encoding=UTF8", "--no-locale", "--no-sync"], timeout=60)
        self.port = free_port()
        with open(os.path.join(self.data_dir, "postgresql.conf"), "a", encoding="ascii") as f:
            f.write("\n# otpgate test server\n"
                    "listen_addresses = '127.0.0.1'\n"
                    "port = %d\n"
                    "unix_socket_directories = '%s'\n"
                    "password_encryption = 'scram-sha-256'\n"
                    "ssl = on\n"
                    "ssl_cert_file = '%s'\n"
                    "ssl_key_file = '%s'\n"
                    "ssl_ca_file = '%s'\n"  # trusted for client certificates
                    "ssl_min_protocol_version = 'TLSv1.2'\n"
                    "fsync = off\n"  # a throwaway server: durability is not under test
                    % (self.port, self.socket_dir, os.path.join(self.pki_dir, "server.pem"),
                       os.path.join(self.pki_dir, "server.key"), self.ca_file))
        with open(os.path.join(self.data_dir, "pg_hba.conf"), "w", encoding="ascii") as f:
            f.write("# TYPE  DATABASE USER     ADDRESS       METHOD\n"
                    "local   all      postgres               peer\n"
                    "hostssl all      %s 127.0.0.1/32  cert\n"
                    "hostssl all      all      127.0.0.1/32  scram-sha-256\n" % CERT_LOGIN)

        self._as_server_user([os.path.join(BIN, "pg_ctl"), "-D", self.data_dir,
                              "-l", self.log_file, "-w", "-t", str(START_SECONDS), "start"],
                             timeout=START_SECONDS + 10)
        self.postmaster_pid = self._read_postmaster_pid()
        if self.postmaster_pid is None:
            raise RuntimeError("no postmaster.pid after start" + self.log())

        self.passwords = {OWNER: secrets.token_urlsafe(18), LOGIN: secrets.token_urlsafe(18)}
        self.admin_psql(
            "CREATE ROLE %s LOGIN PASSWORD '%s';\n"
            "CREATE ROLE %s LOGIN PASSWORD '%s';\n"
            "CREATE DATABASE %s OWNER %s;\n"
            "REVOKE ALL ON DATABASE %s FROM PUBLIC;\n"
            "GRANT CONNECT ON DATABASE %s TO %s;\n"
            "CREATE ROLE %s LOGIN IN ROLE %s;\n"  # no password: a certificate or nothing
            "GRANT CONNECT ON DATABASE %s TO %s;\n"
            % (OWNER, self.passwords[OWNER], LOGIN, self.passwords[LOGIN], DATABASE, OWNER,
               DATABASE, DATABASE, LOGIN, CERT_LOGIN, LOGIN, DATABASE, CERT_LOGIN))
        self.admin_psql(
            "REVOKE ALL ON SCHEMA public FROM PUBLIC;\n"
            "CREATE SCHEMA %s AUTHORIZATION %s;\n"
            "GRANT USAGE ON SCHEMA %s TO %s;\n" % (SCHEMA, OWNER, SCHEMA, LOGIN),
            database=DATABASE)
        with open(os.path.join(self.root, "server.json"), "w", encoding="ascii") as f:
            os.fchmod(f.fileno(), 0o600)
            json.dump({"port": self.port, "passwords": self.passwords}, f)

    def _read_postmaster_pid(self):
        try:
            with open(os.path.join(self.data_dir, "postmaster.pid"), encoding="ascii") as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    @classmethod
    def attach(cls, root):
        """The server that `postgres_server.py start ROOT` left running."""
        server = cls(root)
        with open(os.path.join(root, "server.json"), encoding="ascii") as f:
            saved = json.load(f)
        server.port = saved["port"]
        server.passwords = saved["passwords"]
        server.postmaster_pid = server._read_postmaster_pid()
        return server

    def uri(self, role=LOGIN, password=None, host="127.0.0.1", sslmode="verify-full",
            sslrootcert=None, database=DATABASE):
        """A libpq URI for `role`, verifying the server's certificate against the test CA."""
        if password is None:
            password = self.passwords[role]
        query = urllib.parse.urlencode({"sslmode": sslmode,
                                        "sslrootcert": sslrootcert or self.ca_file,
                                        "connect_timeout": "5"})
        return "postgresql://%s:%s@%s:%d/%s?%s" % (
            urllib.parse.quote(role, safe=""), urllib.parse.quote(password, safe=""),
            host, self.port, database, query)

    def cert_uri(self, cert_file=None, key_file=None, role=CERT_LOGIN):
        """A libpq URI for `role` with a client certificate (the test CA's by default)."""
        query = urllib.parse.urlencode({"sslmode": "verify-full", "sslrootcert": self.ca_file,
                                        "sslcert": cert_file or self.client_cert_file,
                                        "sslkey": key_file or self.client_key_file,
                                        "connect_timeout": "5"})
        return "postgresql://%s@127.0.0.1:%d/%s?%s" % (
            urllib.parse.quote(role, safe=""), self.port, DATABASE, query)

    def psql(self, uri, sql, timeout=15):
        """Runs `sql` with psql over `uri`; returns the CompletedProcess (not checked)."""
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.root,
               "PGSSLCERT": "/nonexistent", "PGSSLKEY": "/nonexistent",
               "PGPASSFILE": "/nonexistent"}
        return subprocess.run([os.path.join(BIN, "psql"), "-X", "-A", "-t", "-q",
                               "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", sql],
                              capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)

    def admin_psql(self, sql, database="postgres", timeout=15):
        """Runs `sql` as the superuser on the private socket; raises on failure."""
        return self._as_server_user(
            [os.path.join(BIN, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
             "-h", self.socket_dir, "-p", str(self.port), "-U", "postgres", "-d", database],
            timeout=timeout, input_text=sql).stdout

    def start_standby(self, root=None):
        """A synchronous streaming standby of this server (postgres_standby.py)."""
        import postgres_standby  # pylint: disable=import-outside-toplevel
        return postgres_standby.start_standby(self, root)

    def pids(self):
        """The postmaster and its children (backends, background workers)."""
        if self.postmaster_pid is None or not process_alive(self.postmaster_pid):
            return []
        return [self.postmaster_pid, *children_of(self.postmaster_pid)]

    def freeze(self):
        """SIGSTOP: the postmaster first (it forks no more), then its children."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:  # a backend that ended since pids()
                pass

    def thaw(self):
        pids = self.pids()
        for pid in pids[1:] + pids[:1]:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def kill(self):
        """SIGKILL to every server process, as a crash; waits until they are gone."""
        pids = self.pids()
        self._last_pids = tuple(set(self._last_pids) | set(pids))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._wait_gone(STOP_SECONDS)

    def _wait_gone(self, seconds):
        deadline = time.monotonic() + seconds
        while self.pids() or any(process_alive(p) for p in self._last_pids):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    _last_pids = ()

    def stop(self):
        """Stops the server (fast, then SIGKILL) and removes the folder. Idempotent."""
        if self.root is None:
            return
        while self.standbys:
            self.standbys.pop().stop()
        if self.postmaster_pid is None:  # a start that failed after the postmaster came up
            self.postmaster_pid = self._read_postmaster_pid()
        pids = self.pids()
        self._last_pids = tuple(pids)
        if pids:
            self.thaw()
            try:
                self._as_server_user([os.path.join(BIN, "pg_ctl"), "-D", self.data_dir,
                                      "-m", "fast", "-w", "-t", str(STOP_SECONDS), "stop"],
                                     timeout=STOP_SECONDS + 5, check=False)
            except subprocess.TimeoutExpired:
                pass
            if not self._wait_gone(2):
                self.kill()
            if not self._wait_gone(STOP_SECONDS):
                raise RuntimeError("server processes survived SIGKILL: %s" % self.pids())
        shutil.rmtree(self.root, ignore_errors=True)
        if os.path.exists(self.root):
            raise RuntimeError("could not remove " + self.root)
        self.root = None


def main():
    commands = ("start", "stop", "freeze", "thaw", "kill")
    if len(sys.argv) != 3 or sys.argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    root = os.path.abspath(sys.argv[2])
    if sys.argv[1] == "start":
        server = PostgresServer(root)
        server.start()
        print("owner: " + server.uri(OWNER))
        print("login: " + server.uri(LOGIN))
        return 0
    server = PostgresServer.attach(root)
    # `stop DIR`, and for tests `freeze DIR`, `thaw DIR`, `kill DIR`:
    # SIGSTOP, SIGCONT, SIGKILL to every server process.
    getattr(server, sys.argv[1])()
    return 0


if __name__ == "__main__":
    sys.exit(main())
