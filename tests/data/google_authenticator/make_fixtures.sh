#!/bin/sh
# Remakes the ~/.google_authenticator fixtures in this folder with the real
# tools of Debian's libpam-google-authenticator (20191231-2 in Debian 12):
# the google-authenticator command writes a fresh file, and
# pam_google_authenticator.so, run by pamtester under pam_wrapper with the
# clock pinned by libfaketime, records what logins leave behind (used time
# steps, rate-limit times, a spent scratch code, a learned clock skew).
# Each run makes new secrets: the unit tests read the expected values from
# the files themselves, never from a list kept elsewhere.
#
# Needs root (the module checks that the file belongs to the user logging
# in), libpam-google-authenticator, libpam-wrapper, pamtester, oathtool and
# libfaketime. Usage: make_fixtures.sh [DIR] (default: this folder).
set -eu

out=$(cd "${1:-$(dirname "$0")}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
faketime=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
start=1700000020  # 2023-11-14 22:13:40 UTC, ten seconds into a 30-second step

make() {  # make NAME OPTION...: a file as google-authenticator writes it
    name=$1
    shift
    google-authenticator --force --quiet --no-confirm --secret="$work/$name" "$@" </dev/null
}

# log_in NAME CODE UNIX_TIME: one pamtester login of root against the file.
log_in() {
    mkdir -p "$work/pam.d"
    echo "auth required pam_google_authenticator.so secret=$work/$1" >"$work/pam.d/ga"
    echo "auth required pam_deny.so" >"$work/pam.d/other"
    echo "$2" | env PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$work/pam.d" \
        FAKETIME="$(date -u -d "@$3" '+%Y-%m-%d %H:%M:%S')" \
        LD_PRELOAD="libpam_wrapper.so $faketime" \
        pamtester ga root authenticate >/dev/null 2>&1 || true
}

code_at() {  # code_at NAME UNIX_TIME: what the phone app shows
    oathtool --totp -b -N "@$2" "$(head -n 1 "$work/$1")"
}

# Yes to every question of the interactive tool: TOTP, no reuse, 3 logins
# per 30 s, the default window of 3 codes, five scratch codes.
make totp_interactive.txt --time-based --disallow-reuse --rate-limit=3 --rate-time=30 \
    --window-size=3 --emergency-codes=5
make totp_step60_window17.txt --time-based --allow-reuse --no-rate-limit --step-size=60 \
    --window-size=17 --emergency-codes=10
make totp_no_scratch_codes.txt --time-based --disallow-reuse --no-rate-limit --window-size=3 \
    --emergency-codes=0
make hotp.txt --counter-based --no-rate-limit --window-size=3 --emergency-codes=3

# After a TOTP login and a scratch-code login: DISALLOW_REUSE lists the used
# step, RATE_LIMIT the login times, and the spent scratch code is gone (the
# module writes the file anew).
make totp_after_logins.txt --time-based --disallow-reuse --rate-limit=3 --rate-time=30 \
    --window-size=3 --emergency-codes=4
log_in totp_after_logins.txt "$(code_at totp_after_logins.txt $start)" $start
log_in totp_after_logins.txt "$(sed -n 6p "$work/totp_after_logins.txt")" $((start + 30))

# A phone whose clock runs 150 s (5 steps) ahead: after three such codes in
# consecutive steps the module learns TIME_SKEW 5, then accepts them.
make totp_time_skew.txt --time-based --disallow-reuse --rate-limit=3 --rate-time=30 \
    --window-size=3 --emergency-codes=3
for i in 0 1 2 3; do
    now=$((start + 30 * i))
    log_in totp_time_skew.txt "$(code_at totp_time_skew.txt $((now + 150)))" $now
done

count=0
for file in "$work"/*.txt; do
    cp "$file" "$out/"
    chmod 0644 "$out/$(basename "$file")"
    count=$((count + 1))
done
echo "wrote $count fixtures to $out"
