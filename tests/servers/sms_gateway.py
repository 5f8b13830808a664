#!/usr/bin/python3
"""A stand-in SMS gateway for the delivery tests: HTTPS (or plain HTTP) on
127.0.0.1, logging every request and answering as it is told.

    sms_gateway.py --log FILE [--cert PEM --key PEM | --plain-http]
                   [--control FILE] [--mode MODE] [--status N] [--body TEXT]

When it listens it prints its port on a line of its own on stdout (the
test reads that line; no sleeping). Each request is appended to the log as
one JSON line, before any answer is sent:

    {"method": "POST", "path": "/2010-04-01/...", "headers": [["Host", "..."], ...],
     "body": "<UTF-8, undecodable bytes replaced>", "body_b64": "<exact bytes>",
     "form": {"To": ["+44..."], ...} (form bodies), "json": {...} (JSON bodies)}

How it answers: the --mode/--status/--body arguments, overridden by the
JSON object in the control file when it exists (read for every request, so
a test can change behaviour without a restart):

    {"mode": "answer", "status": 201, "body": "...", "delay_ms": 0}

Modes: answer (status and body, after delay_ms), hang (read the request,
never answer), redirect (302 to /elsewhere), huge (200 with a 10 MiB body),
trickle (200, then one byte every 200 ms), close (close without answering).
"""
import argparse
import base64
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

DEFAULT_BODY = '{"sid": "SM00000000000000000000000000000000", "status": "queued"}'
LOG_LOCK = threading.Lock()


class Gateway(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def behaviour(server):
    settings = {"mode": server.options.mode, "status": server.options.status,
                "body": server.options.body, "delay_ms": 0}
    if server.options.control and os.path.exists(server.options.control):
        with open(server.options.control, encoding="utf-8") as f:
            settings.update(json.load(f))
    return settings


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: the JSON log is the record
        pass

    def record(self, body):
        entry = {
            "method": self.command,
            "path": self.path,
            "headers": [[name, value] for name, value in self.headers.items()],
            "body": body.decode("utf-8", errors="replace"),
            "body_b64": base64.b64encode(body).decode("ascii"),
        }
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            entry["form"] = urllib.parse.parse_qs(body.decode("utf-8", errors="replace"),
                                                  keep_blank_values=True)
        elif content_type.startswith("application/json"):
            try:
                entry["json"] = json.loads(body.decode("utf-8"))
            except ValueError:
                entry["json_error"] = True
        with LOG_LOCK, open(self.server.options.log, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")

    def answer(self, status, body, extra_headers=()):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        self.record(body)
        settings = behaviour(self.server)
        mode = settings["mode"]
        self.close_connection = True
        if mode == "hang":
            time.sleep(3600)
        elif mode == "close":
            return
        elif mode == "redirect":
            self.answer(302, "", [("Location", "/elsewhere")])
        elif mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(10 * 1024 * 1024))
            self.end_headers()
            chunk = b"x" * 65536
            for _ in range(160):
                self.wfile.write(chunk)
        elif mode == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(100000):
                self.wfile.write(b".")
                self.wfile.flush()
                time.sleep(0.2)
        else:
            time.sleep(settings.get("delay_ms", 0) / 1000.0)
            self.answer(int(settings["status"]), settings["body"])

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = handle_any


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--plain-http", action="store_true")
    parser.add_argument("--control")
    parser.add_argument("--mode", default="answer")
    parser.add_argument("--status", type=int, default=201)
    parser.add_argument("--body", default=DEFAULT_BODY)
    options = parser.parse_args()
    if not options.plain_http and not (options.cert and options.key):
        parser.error("--cert and --key are needed unless --plain-http")

    server = Gateway(("127.0.0.1", 0), Handler)
    server.options = options
    if not options.plain_http:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.cert, options.key)
        # The handshake runs in the request's thread, so a client that
        # refuses our certificate cannot stall the accept loop.
        server.socket = context.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
