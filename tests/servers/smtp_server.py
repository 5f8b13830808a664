#!/usr/bin/python3
"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the delivery tests.

    smtp_server.py --out FILE [--starttls CERT KEY [--optional-starttls]]
                   [--implicit-tls CERT KEY] [--auth USER:PASSWORD]

Prints its port on stdout once it accepts connections. With --starttls the
server offers STARTTLS and refuses MAIL before it (unless
--optional-starttls); --implicit-tls speaks TLS from the first byte (smtps);
--auth requires AUTH (PLAIN or LOGIN, over TLS only).

Every accepted message is appended to FILE as one JSON line, with what the
client sent and an independent reading of it by Python's email package:

    {"mail_from": "...", "rcpt_tos": [...], "tls": true, "auth_user": "..." or null,
     "data_b64": "<the exact bytes of DATA>",
     "headers": [[name, raw value], ...], "subject": "<decoded>",
     "body": "<decoded text>", "date_ok": true, "defects": [...]}
"""
import argparse
import base64
import email
import email.policy
import email.utils
import json
import logging
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port():
    # aiosmtpd's Controller cannot listen on port 0; take a free one first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class Recorder:
    def __init__(self, out):
        self.out = out
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", errors="surrogateescape")
        message = email.message_from_bytes(data, policy=email.policy.default)
        date_ok = True
        try:
            email.utils.parsedate_to_datetime(message["Date"])
        except (TypeError, ValueError):
            date_ok = False
        body_part = message.get_body(preferencelist=("plain",))
        entry = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": session.auth_data.decode() if isinstance(session.auth_data, bytes)
            else session.auth_data,
            "data_b64": base64.b64encode(data).decode("ascii"),
            "headers": [[name, str(value)] for name, value in message.items()],
            "raw_headers": [[name, value] for name, value in
                            email.message_from_bytes(data, policy=email.policy.compat32).items()],
            "subject": str(message["Subject"]),
            "body": body_part.get_content() if body_part is not None else None,
            "date_ok": date_ok,
            "defects": [type(d).__name__ for d in message.defects],
        }
        with self.lock, open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        return "250 OK: queued"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--optional-starttls", action="store_true")
    parser.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    options = parser.parse_args()
    # aiosmtpd logs a deprecation notice at every AUTH; the JSON file is the record.
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    kwargs = {}
    if options.starttls:
        kwargs["tls_context"] = server_context(*options.starttls)
        kwargs["require_starttls"] = not options.optional_starttls
    if options.auth:
        user, password = options.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = True
    ssl_context = server_context(*options.implicit_tls) if options.implicit_tls else None

    port = free_port()
    controller = Controller(Recorder(options.out), hostname="127.0.0.1", port=port,
                            ssl_context=ssl_context, server_hostname="smtp.test",
                            ready_timeout=10, **kwargs)
    controller.start()  # returns once the server answers a connection
    print(port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    sys.exit(main())
