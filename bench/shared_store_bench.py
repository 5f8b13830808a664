#!/usr/bin/python3
"""The shared-store rows of the benchmark (bench/README.md): starts a
throwaway PostgreSQL 15 (tests/servers/postgres_server.py: 127.0.0.1, TLS,
SCRAM) and a pgbouncer in front of it as conf/pgbouncer-otpgate.ini deploys
it (tests/servers/pgbouncer_server.py: a Unix socket, peer for root), runs
`otpgate store init`, then otpgate_bench_store, which logs in through real
libpam and prints the figures; stops both servers whatever happens.

    shared_store_bench.py --harness PATH --module PATH --enroll-tool PATH
                          --otpgate PATH [-- otpgate_bench_store options]

Without PostgreSQL 15 it prints why and skips (exit 0); without pgbouncer
only the direct TLS rows are measured. Needs root."""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SERVERS = os.path.join(HERE, "..", "tests", "servers")
STORE_TESTS = os.path.join(HERE, "..", "tests", "store")
sys.path.insert(0, SERVERS)
sys.path.insert(0, STORE_TESTS)

import postgres_server as pg  # noqa: E402
from pgbouncer_server import PgbouncerMissing, PgbouncerServer  # noqa: E402
from store_host import OWNER_PASSWORD_VARIABLE, store_url  # noqa: E402


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def init_store(otpgate, server, folder, secrets):
    """`otpgate store init --owner otpgate_owner`, as store_host.py's init does."""
    config = os.path.join(folder, "init.conf")
    state = os.path.join(folder, "init-state")
    os.mkdir(state, 0o700)
    write_private(config, "store = postgresql\nstore_url = %s\nhost_name = bench-init\n"
                          "state_dir = %s\ncredentials_file = %s\n"
                  % (store_url(server), state, secrets))
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           OWNER_PASSWORD_VARIABLE: server.passwords[pg.OWNER]}
    done = subprocess.run([otpgate, "--config", config, "store", "init", "--owner", pg.OWNER],
                          capture_output=True, text=True, env=env, timeout=120)
    if done.returncode != 0:
        raise RuntimeError("otpgate store init failed: " + done.stdout + done.stderr)


def print_connection_control(server, bouncer, folder):
    """What a bare libpq client pays at this moment for a new connection and
    one query (Debian's pgbench -C, 200 in a row), beside the login rows:
    the floor of a login that connects, on this machine as loaded now."""
    script = os.path.join(folder, "select1.sql")
    with open(script, "w", encoding="ascii") as f:
        f.write("SELECT 1;\n")
    os.chmod(script, 0o644)
    direct = ("host=127.0.0.1 port=%d dbname=%s user=%s sslmode=verify-full sslrootcert=%s"
              % (server.port, pg.DATABASE, pg.LOGIN, server.ca_file))
    deployments = [("TLS + SCRAM", direct)]
    if bouncer:
        deployments.append(("pgbouncer", bouncer.conninfo()))
    for name, conninfo in deployments:
        done = subprocess.run([os.path.join(pg.BIN, "pgbench"), "-n", "-C", "-c", "1", "-t", "200",
                               "-f", script, conninfo], capture_output=True, text=True,
                              timeout=120, cwd="/",
                              env={"PATH": "/usr/bin:/bin", "HOME": "/",
                                   "PGPASSFILE": "/nonexistent",
                                   "PGPASSWORD": server.passwords[pg.LOGIN]})
        figures = dict(re.findall(r"^(latency average|average connection time) = ([0-9.]+ ms)$",
                                  done.stdout, re.M))
        print("  (control: pgbench -C, connect + SELECT 1, %s) %s each, of which the connection %s"
              % (name, figures.get("latency average", "?"),
                 figures.get("average connection time", "?")))


def server_command(action, server):
    return " ".join(shlex.quote(part) for part in (
        sys.executable, os.path.join(SERVERS, "postgres_server.py"), action, server.root))


def run(args, harness_options):
    server = pg.PostgresServer()
    bouncer = None
    folder = tempfile.mkdtemp(prefix="otpgate-bench-store-")
    try:
        try:
            server.start()
        except pg.PostgresMissing as missing:
            print("shared store rows skipped: %s" % missing)
            return 0
        try:
            bouncer = PgbouncerServer(server)
            bouncer.start()
        except PgbouncerMissing as missing:
            print("note: %s; only the direct TLS rows are measured" % missing)
            bouncer = None
        version = subprocess.run([os.path.join(pg.BIN, "postgres"), "--version"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
        print("\n=== shared store: store = postgresql, %s on 127.0.0.1 (TLS 1.2+, SCRAM)%s ==="
              % (version, ", and pgbouncer on a Unix socket" if bouncer else ""))
        os.chmod(folder, 0o700)
        secrets = os.path.join(folder, "otpgate.secrets")
        write_private(secrets, "store_password = %s\nstore_key = %s\n"
                      % (server.passwords[pg.LOGIN], os.urandom(32).hex()))
        init_store(args.otpgate, server, folder, secrets)
        print_connection_control(server, bouncer, folder)
        argv = [args.harness, "--module", args.module, "--enroll-tool", args.enroll_tool,
                "--otpgate", args.otpgate, "--secrets", secrets,
                "--tls-url", store_url(server),
                "--freeze", server_command("freeze", server),
                "--thaw", server_command("thaw", server)]
        if bouncer:
            argv += ["--bouncer-url", bouncer.conninfo()]
        return subprocess.run(argv + harness_options, check=False).returncode
    finally:
        if bouncer:
            bouncer.stop()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("--harness", "--module", "--enroll-tool", "--otpgate"):
        parser.add_argument(name, required=True)
    argv = sys.argv[1:]
    harness_options = []
    if "--" in argv:
        harness_options = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("shared store rows skipped: they need root")
        return 0
    return run(args, harness_options)


if __name__ == "__main__":
    sys.exit(main())
