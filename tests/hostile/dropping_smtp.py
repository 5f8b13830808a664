#!/usr/bin/python3
"""An SMTP server that misbehaves in the middle of DATA, for the hostile
suite. Plain SMTP on 127.0.0.1 (smtp_starttls = none is allowed for
loopback); prints its port once it listens.

    dropping_smtp.py --log FILE --mode drop|stall

It greets, accepts EHLO, MAIL and RCPT, answers DATA with 354, reads the
first bytes of the message and then either closes the connection (drop)
or goes silent without closing (stall). Each command it read is appended
to FILE, and "DROPPED" or "STALLED" when it did so.
"""
import argparse
import socket
import sys
import threading
import time


def log(path, text):
    with open(path, "a", encoding="utf-8") as f:
        f.write(text + "\n")


def serve(connection, options):
    with connection:
        connection.sendall(b"220 hostile.test ESMTP\r\n")
        reader = connection.makefile("rb")
        while True:
            line = reader.readline(4096)
            if not line:
                return
            command = line.strip().decode("ascii", errors="replace")
            log(options.log, command)
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                connection.sendall(b"250-hostile.test\r\n250-8BITMIME\r\n250 SIZE 100000\r\n")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                connection.sendall(b"250 OK\r\n")
            elif verb == "DATA":
                connection.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                reader.readline(4096)  # the first line of the message arrived
                if options.mode == "drop":
                    log(options.log, "DROPPED")
                    connection.shutdown(socket.SHUT_RDWR)
                    return
                log(options.log, "STALLED")
                time.sleep(3600)
            elif verb == "QUIT":
                connection.sendall(b"221 Bye\r\n")
                return
            else:
                connection.sendall(b"502 Not implemented\r\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", required=True)
    parser.add_argument("--mode", choices=("drop", "stall"), default="drop")
    options = parser.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection, options), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
