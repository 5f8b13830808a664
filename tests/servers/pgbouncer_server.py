#!/usr/bin/python3
"""A throwaway pgbouncer in front of a PostgreSQL test server, configured as
the shipped example conf/pgbouncer-otpgate.ini says.

    pgbouncer_server.py start DIR POSTGRES_DIR   # prints JSON, leaves it running
    pgbouncer_server.py stop DIR                 # stops it and removes DIR

POSTGRES_DIR is a server that `postgres_server.py start` left running. As a
module: `with PgbouncerServer(postgres) as bouncer:` (or start() / stop()).

The configuration is the shipped example with only its paths and the
database's address replaced (the keys in PATH_KEYS and the [databases]
line), so the tests check the deployment sysadmins are told to use: clients
on a Unix socket only, admitted by the example HBA file (root by peer);
pgbouncer logs in to PostgreSQL as the login role with TLS verified against
the test CA (server_tls_sslmode = verify-full) and SCRAM, the password in
auth_file; transaction pooling. pgbouncer runs as the system user postgres
in a private folder:

    DIR/             root's, mode 0711
      pgbouncer.ini, hba.conf, users.txt (0600), pgbouncer.log
      socket/        postgres's, mode 0700: .s.PGSQL.6432 and the pid file

Every wait has a deadline; stop() ends pgbouncer (SIGTERM, then SIGKILL)
and removes the folder. Needs root.
"""
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import postgres_server as pg

PGBOUNCER = "/usr/sbin/pgbouncer"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"
RUN_AS = "postgres"
CLIENT_USER = "root"  # the PAM module's user: the only one the example HBA file admits
HERE = os.path.dirname(os.path.abspath(__file__))
CONF = os.path.join(HERE, "..", "..", "conf")
EXAMPLE_INI = os.path.join(CONF, "pgbouncer-otpgate.ini")
EXAMPLE_HBA = os.path.join(CONF, "pgbouncer-otpgate.hba")
PATH_KEYS = ("unix_socket_dir", "auth_hba_file", "auth_file", "server_tls_ca_file",
             "logfile", "pidfile")
START_SECONDS = 10
STOP_SECONDS = 5


class PgbouncerMissing(RuntimeError):
    """pgbouncer is not installed (scripts/install-deps)."""


def configure(example_text, values, database_line):
    """The example with the values of `values` (key -> value) and the otpgate
    line of [databases] replaced; every key must occur exactly once."""
    seen = dict.fromkeys([*values, "otpgate"], 0)
    out = []
    for line in example_text.splitlines():
        match = re.match(r"^([a-z_]+)\s*=", line)
        if match and match.group(1) in seen:
            key = match.group(1)
            seen[key] += 1
            line = "otpgate = " + database_line if key == "otpgate" else \
                "%s = %s" % (key, values[key])
        out.append(line)
    wrong = {key: count for key, count in seen.items() if count != 1}
    if wrong:
        raise ValueError("the example pgbouncer configuration sets these keys "
                         "not exactly once: %s" % wrong)
    return "\n".join(out) + "\n"


class PgbouncerServer:
    def __init__(self, postgres, root=None, ca_file=None):
        """`postgres`: a started PostgresServer; `ca_file`: the CA pgbouncer trusts for
        the server's certificate (default the test CA)."""
        self.postgres = postgres
        self.root = root
        self.ca_file = ca_file or postgres.ca_file
        self.pid = None
        self.port = 6432  # names the socket file; the socket's folder is private

    @property
    def socket_dir(self):
        return os.path.join(self.root, "socket")

    @property
    def socket_path(self):
        return os.path.join(self.socket_dir, ".s.PGSQL.%d" % self.port)

    @property
    def ini_file(self):
        return os.path.join(self.root, "pgbouncer.ini")

    @property
    def pid_file(self):
        return os.path.join(self.socket_dir, "pgbouncer.pid")

    @property
    def log_file(self):
        return os.path.join(self.root, "pgbouncer.log")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_):
        self.stop()

    def log(self):
        try:
            with open(self.log_file, encoding="utf-8", errors="replace") as f:
                return "\n--- pgbouncer log ---\n" + f.read()[-4000:]
        except OSError:
            return ""

    def conninfo(self, user=CLIENT_USER, database=pg.DATABASE):
        """What a client on this host gives libpq (otpgate's store_url)."""
        return "host=%s port=%d dbname=%s user=%s connect_timeout=5" % (
            self.socket_dir, self.port, database, user)

    def psql(self, sql, user=CLIENT_USER, as_user=None, timeout=15, conninfo=None,
             extra_env=None):
        """psql through pgbouncer, run by root or by the system user `as_user`."""
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/",
               "PGPASSFILE": "/nonexistent", **(extra_env or {})}
        argv = [os.path.join(pg.BIN, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                "-d", conninfo or self.conninfo(user), "-c", sql]
        if as_user is not None:
            argv = [RUNUSER, "-u", as_user, "--", "env", *("%s=%s" % kv for kv in env.items()),
                    *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL, cwd="/")

    def start(self):
        if os.geteuid() != 0:
            raise PermissionError("pgbouncer_server needs root")
        if not os.access(PGBOUNCER, os.X_OK):
            raise PgbouncerMissing(PGBOUNCER + " is missing: install pgbouncer")
        if self.root is None:
            self.root = tempfile.mkdtemp(prefix="otpgate-pgbouncer-")
        else:
            os.makedirs(self.root, exist_ok=True)
            if os.listdir(self.root):
                raise FileExistsError(self.root + " is not empty")
        try:
            self._start(pwd.getpwnam(RUN_AS))
        except BaseException:
            self.stop()
            raise

    def _write(self, name, text, mode, user):
        path = os.path.join(self.root, name)
        with open(path, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), mode)
            f.write(text)
        os.chown(path, user.pw_uid, user.pw_gid)
        return path

    def _start(self, user):
        os.chmod(self.root, 0o711)
        os.mkdir(self.socket_dir, 0o700)
        os.chown(self.socket_dir, user.pw_uid, user.pw_gid)
        with open(EXAMPLE_INI, encoding="utf-8") as f:
            example = f.read()
        with open(EXAMPLE_HBA, encoding="utf-8") as f:
            hba = f.read()
        values = {"unix_socket_dir": self.socket_dir,
                  "auth_hba_file": os.path.join(self.root, "hba.conf"),
                  "auth_file": os.path.join(self.root, "users.txt"),
                  "server_tls_ca_file": self.ca_file,
                  "logfile": self.log_file,
                  "pidfile": self.pid_file}
        self._write("pgbouncer.ini", configure(example, values, self._database(self.postgres)),
                    0o640, user)
        self._write("hba.conf", hba, 0o640, user)
        self._write("users.txt", '"%s" ""\n"%s" "%s"\n' % (
            CLIENT_USER, pg.LOGIN, self.postgres.passwords[pg.LOGIN]), 0o600, user)
        self._write("pgbouncer.log", "", 0o640, user)

        started = subprocess.run(["runuser", "-u", RUN_AS, "--", PGBOUNCER, "-d", "-q",
                                  self.ini_file], capture_output=True, text=True,
                                 timeout=START_SECONDS, cwd="/")
        if started.returncode != 0:
            raise RuntimeError("pgbouncer failed (%d): %s%s"
                               % (started.returncode, started.stderr, self.log()))
        deadline = time.monotonic() + START_SECONDS
        while self.pid is None or not os.path.exists(self.socket_path):
            if time.monotonic() > deadline:
                raise TimeoutError("pgbouncer did not come up in %ds%s"
                                   % (START_SECONDS, self.log()))
            time.sleep(0.02)
            self.pid = self._read_pid()
        with open(os.path.join(self.root, "pgbouncer.json"), "w", encoding="ascii") as f:
            json.dump({"postgres_root": self.postgres.root, "ca_file": self.ca_file}, f)

    @staticmethod
    def _database(postgres):
        """The value of the otpgate line of [databases] for `postgres`."""
        return "host=127.0.0.1 port=%d dbname=%s user=%s" % (postgres.port, pg.DATABASE,
                                                              pg.LOGIN)

    def repoint(self, postgres):
        """What the example tells a sysadmin to do after a failover: name the new
        primary in [databases], then reload (SIGHUP). New server connections go
        there; the caller waits for it (a client may still meet the old one)."""
        with open(self.ini_file, encoding="utf-8") as f:
            text = f.read()
        text, count = re.subn(r"^otpgate = .*$", "otpgate = " + self._database(postgres), text,
                              flags=re.M)
        if count != 1:
            raise ValueError("no otpgate line in " + self.ini_file)
        with open(self.ini_file, "w", encoding="utf-8") as f:  # keeps owner and mode
            f.write(text)
        self.postgres = postgres
        os.kill(self.pid, signal.SIGHUP)

    def _read_pid(self):
        try:
            with open(self.pid_file, encoding="ascii") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    @classmethod
    def attach(cls, root):
        """The pgbouncer that `pgbouncer_server.py start ROOT ...` left running."""
        with open(os.path.join(root, "pgbouncer.json"), encoding="ascii") as f:
            saved = json.load(f)
        bouncer = cls(pg.PostgresServer.attach(saved["postgres_root"]), root, saved["ca_file"])
        bouncer.pid = bouncer._read_pid()
        return bouncer

    def describe(self):
        return {"socket_dir": self.socket_dir, "port": self.port, "pid": self.pid,
                "database": pg.DATABASE, "user": CLIENT_USER, "server_user": pg.LOGIN,
                "conninfo": self.conninfo(), "ini_file": self.ini_file,
                "log_file": self.log_file}

    def _wait_gone(self, seconds):
        deadline = time.monotonic() + seconds
        while pg.process_alive(self.pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def stop(self):
        """SIGTERM (pgbouncer closes every connection at once), SIGKILL if it lingers;
        removes the folder. Idempotent."""
        if self.root is None:
            return
        if self.pid is None:
            self.pid = self._read_pid()
        if self.pid is not None and pg.process_alive(self.pid):
            os.kill(self.pid, signal.SIGCONT)
            os.kill(self.pid, signal.SIGTERM)
            if not self._wait_gone(STOP_SECONDS):
                os.kill(self.pid, signal.SIGKILL)
                if not self._wait_gone(STOP_SECONDS):
                    raise RuntimeError("pgbouncer %d survived SIGKILL" % self.pid)
        shutil.rmtree(self.root, ignore_errors=True)
        if os.path.exists(self.root):
            raise RuntimeError("could not remove " + self.root)
        self.root = None


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if not ((command == "start" and len(sys.argv) == 4)
            or (command == "stop" and len(sys.argv) == 3)):
        print(__doc__, file=sys.stderr)
        return 2
    root = os.path.abspath(sys.argv[2])
    if command == "start":
        bouncer = PgbouncerServer(pg.PostgresServer.attach(os.path.abspath(sys.argv[3])), root)
        bouncer.start()
        print(json.dumps(bouncer.describe()))
        return 0
    PgbouncerServer.attach(root).stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
