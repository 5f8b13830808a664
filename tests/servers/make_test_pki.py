#!/usr/bin/python3
"""Makes a throwaway PKI for the delivery tests, with the openssl command.

    make_test_pki.py OUTDIR

OUTDIR receives:
  ca.pem                           the test CA the client trusts (tls_ca_file)
  server.pem, server.key           signed by that CA, for localhost, 127.0.0.1 and ::1
  rogue-ca.pem                     another CA nobody trusts
  rogue-server.pem, rogue-server.key  signed by the rogue CA, same names
  client.pem, client.key           a client certificate, CN=otpgate_cert (the
                                   PostgreSQL role that logs in with it), signed
                                   by the test CA
  rogue-client.pem, rogue-client.key  the same name, signed by the rogue CA
Every private key is 0600.
EC P-256 keys keep it fast (a few milliseconds per key); certificates are
valid for two days.
"""
import os
import subprocess
import sys

OPENSSL = "openssl"
CLIENT_ROLE = "otpgate_cert"
CURVE = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def run(*args, cwd):
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(out, name, cn):
    run("req", "-x509", *CURVE, "-keyout", f"{name}.key", "-out", f"{name}.pem",
        "-days", "2", "-subj", f"/CN={cn}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=out)


def make_leaf(out, name, ca, cn, extensions):
    ext = os.path.join(out, f"{name}.ext")
    with open(ext, "w", encoding="ascii") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n" + extensions)
    run("req", "-new", *CURVE, "-keyout", f"{name}.key", "-out", f"{name}.csr",
        "-subj", f"/CN={cn}", cwd=out)
    run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
        "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", ext, cwd=out)


def make_server(out, name, ca):
    make_leaf(out, name, ca, "localhost",
              "extendedKeyUsage=serverAuth\n"
              "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n")


def make_client(out, name, ca, role):
    # PostgreSQL's `cert` method compares the certificate's CN with the role.
    make_leaf(out, name, ca, role, "extendedKeyUsage=clientAuth\n")


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
        make_client(out, "client", "ca", CLIENT_ROLE)
        make_client(out, "rogue-client", "rogue-ca", CLIENT_ROLE)
        for name in os.listdir(out):
            if name.endswith(".key"):
                os.chmod(os.path.join(out, name), 0o600)
    except subprocess.CalledProcessError as error:
        sys.stderr.write(error.stderr.decode(errors="replace"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
