#!/usr/bin/python3
"""A hostile SMS gateway for the hostile suite: plain HTTP on 127.0.0.1
(the module allows http:// only for loopback), one behaviour per run.

    hostile_gateway.py --log FILE --mode MODE

Prints its port on a line of its own once it listens. Every request is
appended to FILE as "METHOD PATH" before it is answered, so a test can
count how often the module came back (a followed redirect shows twice).

Modes:
  ok               201 with a provider-like JSON body (a working gateway)
  trickle          200, then one byte of body every 200 ms, forever
  huge             200 with a 10 MiB body
  endless_headers  200, then header lines without end
  redirect_300     300 Multiple Choices pointing at another path
  redirect_loop    302 pointing at the very same URL
  redirect_away    307 pointing at another host (127.0.0.2)
"""
import argparse
import http.server
import socketserver
import sys
import threading
import time

LOG_LOCK = threading.Lock()


class Gateway(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def redirect(self, status, location):
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def handle_any(self):
        length = int(self.headers.get("Content-Length", "0"))
        if length:
            self.rfile.read(length)
        with LOG_LOCK, open(self.server.log, "a", encoding="utf-8") as log:
            log.write("%s %s\n" % (self.command, self.path))
        self.close_connection = True
        mode = self.server.mode
        port = self.server.server_address[1]
        if mode == "ok":
            body = b'{"sid": "SM0", "status": "queued"}'
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif mode == "trickle":
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            while True:
                self.wfile.write(b"{")
                self.wfile.flush()
                time.sleep(0.2)
        elif mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(10 * 1024 * 1024))
            self.end_headers()
            chunk = b"x" * 65536
            for _ in range(160):
                self.wfile.write(chunk)
        elif mode == "endless_headers":
            self.send_response(200)
            for i in range(10 ** 7):
                self.send_header("X-Filler-%d" % i, "y" * 200)
                self.flush_headers()
        elif mode == "redirect_300":
            self.redirect(300, "/v1/elsewhere")
        elif mode == "redirect_loop":
            self.redirect(302, "http://127.0.0.1:%d%s" % (port, self.path))
        elif mode == "redirect_away":
            self.redirect(307, "http://127.0.0.2:%d%s" % (port, self.path))
        else:
            self.send_error(500)

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_POST = do_PUT = do_GET = handle_any


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", required=True)
    parser.add_argument("--mode", required=True)
    options = parser.parse_args()
    server = Gateway(("127.0.0.1", 0), Handler)
    server.log = options.log
    server.mode = options.mode
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
