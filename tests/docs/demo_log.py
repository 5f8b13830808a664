"""`./scripts/demo > demo.log` keeps the whole demo.

Runs demo/run-demo (not quiet) with its standard output redirected to a
file, as the shell's `>` does (opened once, truncated once), and checks
that every part is in the file, in order: each heading, the app's code,
what pamtester printed and the closing line, with no stretch of zeros
where a truncation cut it.

Usage: demo_log.py RUN_DEMO BUILD_DIR
"""

import os
import subprocess
import sys
import tempfile

PARTS = [
    "== 1. The user enrolls a TOTP app",
    "[the app shows ",
    "== 2. Login through pam_otpgate.so",
    "successfully authenticated",
    "== 3. Someone replays the same code",
    "(refused, as it should be)",
    "== 4. The phone is lost: backup code",
    "(refused the second time, as it should be)",
    "== 5. Root enrolls the user's phone",
    "[the phone shows: ",
    "Demo finished",
]


def main():
    run_demo, build_dir = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="otpgate-demo-log-") as folder:
        log_path = os.path.join(folder, "demo.log")
        with open(log_path, "wb") as log:
            demo = subprocess.run([run_demo, build_dir], stdout=log, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, timeout=110)
        with open(log_path, "rb") as f:
            text = f.read()
    problems = []
    if demo.returncode != 0:
        problems.append("run-demo exited with %d: %s"
                        % (demo.returncode, demo.stderr.decode("utf-8", "replace")))
    if b"\0" in text:
        problems.append("the log has NUL bytes where an earlier part was truncated")
    printed = text.decode("utf-8", "replace")
    position = 0
    for part in PARTS:
        found = printed.find(part, position)
        if found == -1:
            problems.append("%r is missing from the log (or out of order)" % part)
        else:
            position = found + len(part)
    for problem in problems:
        print(problem)
    if problems:
        print("--- the log ---\n" + printed.replace("\0", "\\0"))
        return 1
    print("the demo's log holds all %d parts" % len(PARTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
