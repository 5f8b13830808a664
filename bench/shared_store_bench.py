#!/usr/bin/python3
"""The shared-store rows of the benchmark (bench/README.md): starts a
throwaway PostgreSQL 15 (tests/servers/postgres_server.py: 127.0.0.1, TLS,
SCRAM for otpgate_login, a client certificate for otpgate_cert, a member of
otpgate_login) and a pgbouncer in front of it as conf/pgbouncer-otpgate.ini deploys
it (tests/servers/pgbouncer_server.py: a Unix socket, peer for root), runs
`otpgate store init`, then otpgate_bench_store, which logs in through real
libpam and prints the figures; stops both servers whatever happens.

    shared_store_bench.py --harness PATH --module PATH --enroll-tool PATH
                          --otpgate PATH [-- otpgate_bench_store options]

Without PostgreSQL 15 it prints why and skips (exit 0); without pgbouncer
only the direct TLS rows are measured. Needs root."""
import argparse
import ctypes
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

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


def bare_connection_ms(conninfo, count=200):
    """p50 and p99 (nearest rank) of `count` connect + SELECT 1 + finish by
    libpq alone, each timed on its own (pgbench -C reports only the mean);
    None when a connection fails."""
    libpq = ctypes.CDLL("libpq.so.5")
    libpq.PQconnectdb.restype = ctypes.c_void_p
    libpq.PQconnectdb.argtypes = [ctypes.c_char_p]
    libpq.PQstatus.argtypes = [ctypes.c_void_p]
    libpq.PQexec.restype = ctypes.c_void_p
    libpq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    libpq.PQresultStatus.argtypes = [ctypes.c_void_p]
    libpq.PQclear.argtypes = [ctypes.c_void_p]
    libpq.PQfinish.argtypes = [ctypes.c_void_p]
    times = []
    for _ in range(count):
        start = time.perf_counter()
        connection = libpq.PQconnectdb(conninfo.encode())
        ok = libpq.PQstatus(connection) == 0  # CONNECTION_OK
        if ok:
            result = libpq.PQexec(connection, b"SELECT 1")
            ok = libpq.PQresultStatus(result) == 2  # PGRES_TUPLES_OK
            libpq.PQclear(result)
        libpq.PQfinish(connection)
        if not ok:
            return None
        times.append((time.perf_counter() - start) * 1000)
    times.sort()

    def rank(fraction):
        return times[max(1, math.ceil(fraction * count)) - 1]
    return rank(0.50), rank(0.99)


def libpq_load_ms(count=20):
    """p50 and p99 (nearest rank) of loading libpq (with the libraries it
    needs) into a new process, as the module does in each sshd connection,
    sudo or su: the login rows load it once, in one process."""
    probe = ("import ctypes, time\n"
             "start = time.perf_counter()\n"
             "ctypes.CDLL('libpq.so.5')\n"
             "print((time.perf_counter() - start) * 1000)\n")
    times = []
    for _ in range(count):
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              timeout=60, env={"PATH": "/usr/bin:/bin"})
        times.append(float(done.stdout))
    times.sort()
    return times[max(1, math.ceil(0.50 * count)) - 1], times[max(1, math.ceil(0.99 * count)) - 1]


def spawn_ms(argv, count=100):
    """p50 and p99 (nearest rank) of running `argv` to its end, timed from
    here (Python's own share of a spawn included)."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[max(1, math.ceil(0.50 * count)) - 1], times[max(1, math.ceil(0.99 * count)) - 1]


def print_connection_control(server, bouncer, folder):
    """What a bare libpq client pays at this moment for a new connection and
    one query (Debian's pgbench -C, 200 in a row; then libpq alone, 200
    timed one by one), beside the login rows: the floor of a login that
    connects, on this machine as loaded now."""
    script = os.path.join(folder, "select1.sql")
    with open(script, "w", encoding="ascii") as f:
        f.write("SELECT 1;\n")
    os.chmod(script, 0o644)
    direct = ("host=127.0.0.1 port=%d dbname=%s user=%s sslmode=verify-full sslrootcert=%s"
              % (server.port, pg.DATABASE, pg.LOGIN, server.ca_file))
    certificate = ("host=127.0.0.1 port=%d dbname=%s user=%s sslmode=verify-full "
                   "sslrootcert=%s sslcert=%s sslkey=%s"
                   % (server.port, pg.DATABASE, pg.CERT_LOGIN, server.ca_file,
                      server.client_cert_file, server.client_key_file))
    deployments = [("TLS + SCRAM", direct), ("TLS + cert", certificate)]
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
        # In this process: no password file, no client certificate of root's.
        bare = bare_connection_ms(conninfo + " passfile=/nonexistent password=%s%s" % (
            server.passwords[pg.LOGIN],
            "" if "sslcert=" in conninfo else " sslcert=/nonexistent sslkey=/nonexistent"))
        print("  (control: libpq alone, connect + SELECT 1, %s) p50 / p99 of 200: %s"
              % (name, "%.2f / %.2f ms" % bare if bare else "FAILED to connect"))
    print("  (control: loading libpq into a new process, as each sshd connection, su or sudo "
          "does; not in the rows below) p50 / p99 of 20: %.2f / %.2f ms" % libpq_load_ms())
    # A host name in store_url is looked up by the module in a child
    # (`getent ahosts`) within store_timeout_ms; the rows below name 127.0.0.1.
    print("  (control: looking a store_url host name up, getent ahosts localhost, as the module "
          "does for a name; not in the rows below) p50 / p99 of 100: %.2f / %.2f ms "
          "(spawning /bin/true the same way: %.2f / %.2f ms)"
          % (spawn_ms(["/usr/bin/getent", "ahosts", "localhost"]) + spawn_ms(["/bin/true"])))


def cert_store_url(server):
    """store_url for otpgate_cert with the test PKI's client certificate."""
    return "%s&%s" % (store_url(server, role=pg.CERT_LOGIN), urllib.parse.urlencode(
        {"sslcert": server.client_cert_file, "sslkey": server.client_key_file}))


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
        print("\n=== shared store: store = postgresql, %s on 127.0.0.1 (TLS 1.2+, SCRAM or a "
              "client certificate)%s ==="
              % (version, ", and pgbouncer on a Unix socket" if bouncer else ""))
        os.chmod(folder, 0o700)
        secrets = os.path.join(folder, "otpgate.secrets")
        write_private(secrets, "store_password = %s\nstore_key = %s\n"
                      % (server.passwords[pg.LOGIN], os.urandom(32).hex()))
        # The certificate hosts' credentials: store_key only, no password.
        cert_secrets = os.path.join(folder, "otpgate-cert.secrets")
        with open(secrets, encoding="utf-8") as f:
            write_private(cert_secrets, "".join(line for line in f
                                                if line.startswith("store_key")))
        init_store(args.otpgate, server, folder, secrets)
        print_connection_control(server, bouncer, folder)
        argv = [args.harness, "--module", args.module, "--enroll-tool", args.enroll_tool,
                "--otpgate", args.otpgate, "--secrets", secrets,
                "--tls-url", store_url(server),
                "--cert-url", cert_store_url(server), "--cert-secrets", cert_secrets,
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
