#!/usr/bin/python3
"""A synchronous streaming standby of a throwaway PostgreSQL test server.

    postgres_standby.py start PRIMARY_DIR STANDBY_DIR   # prints JSON, leaves both running
    postgres_standby.py promote STANDBY_DIR              # prints JSON once it takes writes
    postgres_standby.py stop STANDBY_DIR                 # stops the standby, removes its folder

Stop a standby started from the command line before its primary.

As a module: `standby = primary.start_standby()` on a started
postgres_server.PostgresServer (or PostgresStandby(primary).start()).

The primary gets a replication role (SCRAM, a `hostssl replication` line in
its pg_hba.conf); `pg_basebackup -R`, run as the system user postgres, copies
it into the standby's own private folder, and the standby runs there on its
own free 127.0.0.1 port with the same test PKI (the server certificate names
127.0.0.1). Then the primary names the standby in synchronous_standby_names
with synchronous_commit = on: a commit returns only once the standby has
flushed it, so a row the primary acknowledged survives the primary's crash
and the standby's promotion. start() returns once pg_stat_replication shows
the standby streaming with sync_state 'sync'. Every wait has a deadline.

The standby's copy of the configuration predates synchronous_standby_names:
once promoted it commits alone, as a lone survivor must.
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse

import postgres_server as pg

REPLICATION = "otpgate_replication"
APPLICATION_NAME = "otpgate_standby"
SYNC_SECONDS = 30
PROMOTE_SECONDS = 30


def frozen(pid):
    """True when `pid` is stopped (SIGSTOP)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "T"
    except (OSError, IndexError):
        return False


def multi_host_uri(servers, role=pg.LOGIN, password=None, target_session_attrs="read-write",
                   connect_timeout=5):
    """One libpq URI naming every server, in order, verifying each one's certificate;
    with target_session_attrs=read-write libpq settles on whichever accepts writes."""
    first = servers[0]
    if password is None:
        password = first.passwords[role]
    hosts = ",".join("127.0.0.1:%d" % server.port for server in servers)
    query = urllib.parse.urlencode({"sslmode": "verify-full", "sslrootcert": first.ca_file,
                                    "target_session_attrs": target_session_attrs,
                                    "connect_timeout": str(connect_timeout)})
    return "postgresql://%s:%s@%s/%s?%s" % (
        urllib.parse.quote(role, safe=""), urllib.parse.quote(password, safe=""),
        hosts, pg.DATABASE, query)


class PostgresStandby(pg.PostgresServer):
    """A standby is a PostgresServer too: uri(), psql(), admin_psql(), freeze(),
    kill() and stop() work on it as on the primary."""

    def __init__(self, primary, root=None):
        super().__init__(root)
        self.primary = primary
        self.passwords = dict(primary.passwords)

    def start(self):
        if self.primary.root is None or not self.primary.pids():
            raise RuntimeError("the primary is not running")
        super().start()

    def _start(self, user):
        # Called by PostgresServer.start() with an empty private folder.
        os.chmod(self.root, 0o700)
        os.chown(self.root, user.pw_uid, user.pw_gid)
        shutil.copytree(self.primary.pki_dir, self.pki_dir)
        os.mkdir(self.socket_dir, 0o700)
        for path in (self.socket_dir, self.pki_dir,
                     *(os.path.join(self.pki_dir, n) for n in os.listdir(self.pki_dir))):
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(os.path.join(self.pki_dir, "server.key"), 0o600)

        password = self._allow_replication()
        self.passwords[REPLICATION] = password
        conninfo = ("host=127.0.0.1 port=%d user=%s sslmode=verify-full sslrootcert=%s "
                    "application_name=%s connect_timeout=5"
                    % (self.primary.port, REPLICATION, self.ca_file, APPLICATION_NAME))
        self._as_server_user(["env", "PGPASSWORD=" + password, "PGPASSFILE=/nonexistent",
                              os.path.join(pg.BIN, "pg_basebackup"), "-D", self.data_dir,
                              "-R", "-X", "stream", "-c", "fast", "--no-sync",
                              "-d", conninfo], timeout=60)

        self.port = pg.free_port()
        with open(os.path.join(self.data_dir, "postgresql.conf"), "a", encoding="ascii") as f:
            f.write("\n# otpgate test standby: its own port, socket and copy of the PKI\n"
                    "port = %d\n"
                    "unix_socket_directories = '%s'\n"
                    "ssl_cert_file = '%s'\n"
                    "ssl_key_file = '%s'\n"
                    "ssl_ca_file = '%s'\n"
                    "hot_standby = on\n"
                    % (self.port, self.socket_dir, os.path.join(self.pki_dir, "server.pem"),
                       os.path.join(self.pki_dir, "server.key"), self.ca_file))
        # pg_basebackup -R wrote a primary_conninfo already; this one, later in
        # the same file, wins and carries the password and application_name.
        # Once promoted, this server waits for no standby of its own.
        with open(os.path.join(self.data_dir, "postgresql.auto.conf"), "a",
                  encoding="ascii") as f:
            f.write("primary_conninfo = '%s password=%s'\n"
                    "synchronous_standby_names = ''\n" % (conninfo, password))

        self._as_server_user([os.path.join(pg.BIN, "pg_ctl"), "-D", self.data_dir,
                              "-l", self.log_file, "-w", "-t", str(pg.START_SECONDS), "start"],
                             timeout=pg.START_SECONDS + 10)
        self.postmaster_pid = self._read_postmaster_pid()
        if self.postmaster_pid is None:
            raise RuntimeError("no postmaster.pid after start" + self.log())

        self.primary.admin_psql(
            "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (\"%s\")';\n"
            "ALTER SYSTEM SET synchronous_commit = 'on';\n"
            "SELECT pg_reload_conf();\n" % APPLICATION_NAME)
        self.wait_sync()
        with open(os.path.join(self.root, "server.json"), "w", encoding="ascii") as f:
            os.fchmod(f.fileno(), 0o600)
            json.dump({"port": self.port, "passwords": self.passwords,
                       "primary_root": self.primary.root}, f)

    def _allow_replication(self):
        """A replication role on the primary and the pg_hba line that lets it in."""
        password = self.primary.passwords.get(REPLICATION)
        if password is not None:
            return password  # a second standby of the same primary
        password = secrets.token_urlsafe(18)
        self.primary.admin_psql("CREATE ROLE %s REPLICATION LOGIN PASSWORD '%s';\n"
                                % (REPLICATION, password))
        with open(os.path.join(self.primary.data_dir, "pg_hba.conf"), "a",
                  encoding="ascii") as f:
            f.write("hostssl replication %s 127.0.0.1/32  scram-sha-256\n" % REPLICATION)
        self.primary.admin_psql("SELECT pg_reload_conf();\n")
        self.primary.passwords[REPLICATION] = password
        return password

    def replication_state(self):
        """'state|sync_state' of this standby in the primary's pg_stat_replication; '' if absent."""
        return self.primary.admin_psql(
            "SELECT state || '|' || sync_state FROM pg_stat_replication "
            "WHERE application_name = '%s'" % APPLICATION_NAME).strip()

    def wait_sync(self, seconds=SYNC_SECONDS):
        """Until the primary sees this standby streaming as its synchronous standby."""
        deadline = time.monotonic() + seconds
        state = ""
        while state != "streaming|sync":
            if time.monotonic() > deadline:
                raise TimeoutError("standby not in sync after %ds (%r)%s"
                                   % (seconds, state, self.log()))
            time.sleep(0.05)
            state = self.replication_state()

    def in_recovery(self):
        return self.admin_psql("SELECT pg_is_in_recovery()").strip() == "t"

    def promote(self, seconds=PROMOTE_SECONDS):
        """pg_ctl promote, then waits until this server commits a write."""
        self._as_server_user([os.path.join(pg.BIN, "pg_ctl"), "-D", self.data_dir,
                              "-w", "-t", str(seconds), "promote"], timeout=seconds + 5)
        deadline = time.monotonic() + seconds
        while True:
            try:
                if not self.in_recovery():
                    self.admin_psql("CREATE TEMPORARY TABLE promoted (n int)")
                    return
            except RuntimeError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("standby not writable %ds after promote%s"
                                   % (seconds, self.log()))
            time.sleep(0.05)

    def stop(self):
        """Stops the standby and removes its folder; a primary still running stops
        waiting for it (synchronous_standby_names reset), or every later commit
        there would wait forever. Idempotent."""
        primary_running = self.primary.root is not None and any(
            pg.process_alive(pid) and not frozen(pid) for pid in self.primary.pids()[:1])
        if self.root is not None and primary_running:
            try:
                self.primary.admin_psql("ALTER SYSTEM RESET synchronous_standby_names;\n"
                                        "SELECT pg_reload_conf();\n", timeout=5)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass  # the standby goes anyway
        super().stop()

    def multi_host_uri(self, role=pg.LOGIN, **kwargs):
        """The primary, then this standby, in one read-write URI."""
        return multi_host_uri([self.primary, self], role, **kwargs)

    @classmethod
    def attach(cls, root):
        """The standby that `postgres_standby.py start PRIMARY ROOT` left running."""
        with open(os.path.join(root, "server.json"), encoding="ascii") as f:
            saved = json.load(f)
        standby = cls(pg.PostgresServer.attach(saved["primary_root"]), root)
        standby.port = saved["port"]
        standby.passwords = saved["passwords"]
        standby.postmaster_pid = standby._read_postmaster_pid()
        return standby


def start_standby(primary, root=None):
    standby = PostgresStandby(primary, root)
    standby.start()
    primary.standbys.append(standby)
    return standby


def describe(standby):
    return {"primary_port": standby.primary.port, "standby_port": standby.port,
            "ca_file": standby.ca_file,
            "login_uri": standby.multi_host_uri(pg.LOGIN),
            "owner_uri": standby.multi_host_uri(pg.OWNER),
            "in_recovery": standby.in_recovery()}


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if not ((command == "start" and len(sys.argv) == 4)
            or (command in ("promote", "stop") and len(sys.argv) == 3)):
        print(__doc__, file=sys.stderr)
        return 2
    if command == "start":
        primary = pg.PostgresServer.attach(os.path.abspath(sys.argv[2]))
        standby = PostgresStandby(primary, os.path.abspath(sys.argv[3]))
        standby.start()
        # The primary's saved passwords gain the replication role's.
        with open(os.path.join(primary.root, "server.json"), "w", encoding="ascii") as f:
            os.fchmod(f.fileno(), 0o600)
            json.dump({"port": primary.port, "passwords": primary.passwords}, f)
        print(json.dumps(describe(standby)))
        return 0
    standby = PostgresStandby.attach(os.path.abspath(sys.argv[2]))
    if command == "promote":
        standby.promote()
        print(json.dumps(describe(standby)))
        return 0
    standby.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
