#!/usr/bin/python3
"""Makes a throwaway PKI for the delivery tests, with the openssl command.

    make_test_pki.py OUTDIR

OUTDIR receives:
  ca.pem                           the test CA the client trusts (tls_ca_file)
  server.pem, server.key           signed by that CA, for localhost, 127.0.0.1 and ::1
  rogue-ca.pem                     another CA nobody trusts
  rogue-server.pem, rogue-server.key  signed by the rogue CA, same names
EC P-256 keys keep it fast (a few milliseconds per key); certificates are
valid for two days.
"""
import os
import subprocess
import sys

OPENSSL = "openssl"
CURVE = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def run(*args, cwd):
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(out, name, cn):
    run("req", "-x509", *CURVE, "-keyout", f"{name}.key", "-out", f"{name}.pem",
        "-days", "2", "-subj", f"/CN={cn}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=out)


def make_server(out, name, ca):
    ext = os.path.join(out, f"{name}.ext")
    with open(ext, "w", encoding="ascii") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n")
    run("req", "-new", *CURVE, "-keyout", f"{name}.key", "-out", f"{name}.csr",
        "-subj", "/CN=localhost", cwd=out)
    run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
        "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", ext, cwd=out)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    try:
        make_ca(out, "ca", "otpgate test CA")
        make_server(out, "server", "ca")
        make_ca(out, "rogue-ca", "untrusted test CA")
        make_server(out, "rogue-server", "rogue-ca")
    except subprocess.CalledProcessError as error:
        sys.stderr.write(error.stderr.decode(errors="replace"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
