#!/usr/bin/python3
"""Writes fuzz/corpus/ from the repository's examples and test data.

Run once when the seeds should change (`/usr/bin/python3 fuzz/make_seeds.py`);
the output is committed, so scripts/fuzz needs no Python.
"""
import hashlib
import pathlib
import re
import shutil
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
DICT = ROOT / "fuzz" / "dict"


def write_dict(target, tokens):
    DICT.mkdir(exist_ok=True)
    lines = []
    for token in tokens:
        escaped = "".join(c if 0x20 <= ord(c) < 0x7f and c not in '"\\' else "\\x%02x" % ord(c)
                          for c in token)
        lines.append('"%s"' % escaped)
    (DICT / (target + ".dict")).write_text("\n".join(lines) + "\n")


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)


def nul(*parts):
    return b"\0".join(p.encode() if isinstance(p, str) else p for p in parts)


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)

    # config_text: every documented key (the commented defaults switched
    # on), the provider examples, and service sections.
    conf = (ROOT / "conf" / "otpgate.conf").read_text()
    defaults = "\n".join(
        line[1:].lstrip() for line in conf.splitlines() if re.match(r"^# ?[a-z_]+ ?= ", line))
    write("config_text", "defaults.conf", defaults + "\n")
    for example in ["sms-generic-http.conf", "sms-twilio.conf", "email-smtp.conf",
                    "email-sendmail.conf"]:
        text = (ROOT / "conf" / example).read_text()
        write("config_text", example,
              "\n".join(l for l in text.splitlines() if l and not l.startswith("#")) + "\n")
    write("config_text", "sections.conf",
          "enforce = groups\ngroups = wheel !contractors 2000\n"
          "exempt_networks = 10.0.0.0/8, 2001:db8::/32\nremember_host = 3600\n"
          "[service sudo su]\nmax_attempts = 1\nprompt = \"Code for sudo: \"\n"
          "[service sshd]\nlockout_failures = 3\nsms_command = /usr/local/bin/send-sms --quiet\n")

    keys = sorted(set(re.findall(r"^# ?([a-z_]+) ?= ", conf, re.M)))
    config_tokens = keys + ["[service ", "]", " = ", "=", '"', "yes", "no", "{code}", "{message}",
                            "{host}", "\\n", "\\\\", "https://", "http://127.0.0.1/", "/", "!",
                            "::ffff:", "/24", " | ", ": ", "<", ">", "@"]
    write_dict("config_text", config_tokens)
    write_dict("module_arguments", [k + "=" for k in keys] + config_tokens[len(keys):] + ["\0"])
    write_dict("enrollment", ["version = 1", "id = ", "method = ", "totp", "sms", "email",
                              "created = ", "totp_secret = ", "totp_algorithm = SHA256",
                              "totp_digits = ", "totp_period = ", "destination = ",
                              "backup_salt = ", "backup_iterations = ", "backup_digits = ",
                              "backup_code = ", "checksum = ", "\n"])
    write_dict("google_authenticator", ['" TOTP_AUTH', '" HOTP_COUNTER ', '" STEP_SIZE ',
                                        '" WINDOW_SIZE ', '" DISALLOW_REUSE', '" RATE_LIMIT ',
                                        '" TIME_SKEW ', '" RESETTING_TIME_SKEW', "\r\n", "-"])
    write_dict("json_text", ["true", "false", "null", "\\u", "\\u00", "\\ud83d", "e+", "E-",
                             "-0.", '":', "\xc3\xa9", "\xed\xa0\x80", "\xf4\x90\x80\x80"])
    write_dict("message_template", ["{to}", "{to_digits}", "{code}", "{user}", "{host}",
                                    "{minutes}", "{message}", '"', "\\n", "\\\\", "\0"])
    write_dict("email_address", ["@", ".", "..", "<", ">", '"', "+44", "xn--", "-"])

    write("module_arguments", "flags", nul("debug", "nullok", "config=/etc/security/otpgate.conf"))
    write("module_arguments", "settings",
          nul("max_attempts=5", "prompt=Code: ", "exempt_networks=192.0.2.0/24",
              "sms_template={code} is your code"))

    # enrollment: first byte 0 = as is, 1 = append a correct checksum.
    write("enrollment", "totp_v1", b"\0" + (ROOT / "tests/data/enrollment_v1.txt").read_bytes())
    write("enrollment", "sms_body", b"\1" + (
        "version = 1\nid = 00112233445566778899aabbccddeeff\nmethod = sms\n"
        "created = 1700000000\ndestination = +447700900123\n"
        "backup_salt = 00112233445566778899aabbccddeeff\nbackup_iterations = 1000\n"
        "backup_digits = 8\n"
        "backup_code = " + "ab" * 32 + "\n").encode())
    write("enrollment", "email_body", b"\1" + (
        "version = 1\nid = ffeeddccbbaa99887766554433221100\nmethod = email\n"
        "created = 1\ndestination = alice@example.com\n"
        "backup_salt = 0011223344556677\nbackup_iterations = 100000\n").encode())

    # state_slot: the pre-policy record from tests/data, and a record with
    # every list in use (first byte odd: magic and checksum made valid).
    hex_text = "".join(l for l in (ROOT / "tests/data/state_record_before_policy.hex")
                       .read_text().splitlines() if not l.startswith("#"))
    write("state_slot", "before_policy", bytes.fromhex(hex_text.strip()))
    slot = bytearray(512)
    slot[0:8] = b"OTPGST01"
    struct.pack_into("<Q", slot, 8, 7)
    slot[16:32] = bytes(range(16))
    struct.pack_into("<qQ", slot, 32, 58907520, 5)
    slot[88] = 3
    for i in range(3):
        struct.pack_into("<I", slot, 96 + 4 * i, 1767225100 + i)
    struct.pack_into("<QQ", slot, 224, 1767225300, 1767225400)
    slot[240] = 2
    slot[241] = 1
    struct.pack_into("<II", slot, 244, 1767225350, 1767225360)
    slot[308:324] = bytes(range(100, 116))
    struct.pack_into("<I", slot, 324, 1767225300)
    slot[480:512] = hashlib.sha256(bytes(slot[:480])).digest()
    slot[0] |= 0  # 'O' is odd: the harness re-stamps magic and checksum anyway
    write("state_slot", "all_lists", bytes(slot))

    # state_row: the shared store's user_states columns, 0x1f between them,
    # \\N for NULL: a user's first row, one with wrong codes counted, and
    # one with every column in use (two remembered hosts: tag + time).
    def row(*columns):
        return "\x1f".join(columns)
    write("state_row", "first", row("", "\\N", "0", "", "0", "{}", "0", "0", "{}", ""))
    write("state_row", "failures", row("417e86136d12a10fee64210e18c7ab07", "59885985", "0", "",
                                       "0", "{}", "1796579558", "0",
                                       "{1796579559,1796579560}", ""))
    hosts = "".join(bytes(range(i, i + 16)).hex() + struct.pack(">Q", 1796579000 + i).hex()
                    for i in (1, 2))
    write("state_row", "all_columns", row("00112233445566778899aabbccddeeff", "59885990", "-1",
                                          "ab" * 32, "1796570000", "{1796579001,1796579002}",
                                          "1796579558", "1796579600", "{1796579559}", hosts))

    # replay_fence: a record of this boot with an earlier boot fenced.
    fence = bytearray(128)
    fence[0:8] = b"OTPGRF01"
    struct.pack_into("<Qqq", fence, 8, 3, 1767225330, 1767225300)
    boot = b"6d1c4f0a-8a3b-4e4e-9f51-2b7f0c7d9e11"
    fence[32] = len(boot)
    fence[33:33 + len(boot)] = boot
    fence[96:128] = hashlib.sha256(bytes(fence[:96])).digest()
    write("replay_fence", "two_boots", bytes(fence))

    write("base32", "rfc", "JBSWY3DPEHPK3PXP")
    write("base32", "typed", "jbsw y3dp-ehpk 3pxp====")
    write("base32", "seed32", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA")
    write("hex", "salt", "00112233445566778899aabbccddeeff")
    write("hex", "odd", "abc")

    write("phone_number", "gb_international", b"\1+44 7700 900123")
    write("phone_number", "gb_national", b"\1" + b"07700 900123")
    write("phone_number", "us_national", b"\2(415) 555-0100")
    write("phone_number", "no_region", b"\0+353 85 123 4567")

    write("email_address", "plain", "alice@example.com")
    write("email_address", "named", "Alice Example <alice@Example.COM>")
    write("email_address", "phone", "+447700900123")

    when = struct.pack("<q", 1767225600)
    write("email_format", "ascii", when + b"\1" + nul(
        "alice@example.com", "otpgate <otpgate@example.com>", "Your host login code",
        "Hello alice,\n\n123456 is your login code.\n"))
    write("email_format", "utf8", when + b"\0" + nul(
        "bob@example.org", "\"Dépôt\" <noreply@example.org>", "Votre code pour hôte",
        "Bonjour,\r\n\r\n654321 est votre code, valable 15 minutes." + " très long" * 10 + "\n"))

    for path in sorted((ROOT / "tests/data/google_authenticator").glob("*.txt")):
        write("google_authenticator", path.stem, path.read_bytes())

    write("group_rules", "mixed", "wheel sudo 2000 !contractors")
    write("group_rules", "exclusions", "!guests,!1001")
    write("ip_network", "list", "10.0.0.0/8 192.168.1.0/24, 2001:db8::/32")
    write("ip_network", "mapped", "::ffff:192.0.2.0/120")
    write("ip_network", "zone", "[fe80::1%eth0]")

    write("json_text", "body", '{"to":"+447700900123","text":"caf\\u00e9 \u00e9","n":[1,-2.5e3,true,null]}')
    write("json_text", "string", '"x"')
    # safe_text: the first byte is the line's limit.
    write("safe_text", "forged_line",
          b"\x40mallory\nsshd[1]: Accepted password for root\x1b[2J\r\x07")
    write("safe_text", "utf8", b"\x10+44\xe2\x80\xa2\xe2\x80\xa2123 \xc2\x9b\xe2\x80\xae\xed\xa0\x80\xf0")

    write("message_template", "sms", b"\0" + nul(
        "{code} is your {host} login code. It expires in {minutes} minutes.",
        "+447700900123", "123456", "alice", "host"))
    write("message_template", "json_body", b"\x82" + nul(
        '{"to":"{to}","text":"{message}","sender":"otpgate"}', "+447700900123", "123456",
        "alice", "host", "123456 is your code"))
    write("message_template", "subject", b"\1" + nul("Your {host} login code", "a@b.example"))

    write("provider_response", "twilio_error", struct.pack("<q", 400) +
          b'{"code": 21211, "message": "The \'To\' number is not valid.", "status": 400}')
    write("provider_response", "created", struct.pack("<q", 201) + b'{"sid":"SM0123","status":"queued"}')

    write("credentials", "example", (ROOT / "conf/otpgate.secrets").read_bytes() +
          b'twilio_auth_token = "0123456789abcdef"\nsmtp_password = s3cret\n')

    write("delivery_url", "twilio", "https://api.twilio.com")
    write("delivery_url", "loopback", "http://127.0.0.1:8080/v1/send")
    write("delivery_url", "smtps", "smtps://mail.example.com:465")
    write("delivery_url", "ipv6", "http://[::1]/send?x=1")
    # Forms libcurl accepts too, which our config-time parser must read alike.
    write("delivery_url", "ipv6_zone", "http://[::1%25lo]:8080/")
    write("delivery_url", "encoded_host", "http://%6cocalhost/")
    write("delivery_url", "legacy_ipv4", "http://0x7f.1/")
    write("delivery_url", "odd_slashes", "https:///gw.example.com:/send")

    write("otpauth_uri", "example", nul("Example Co", "alice@host", bytes(range(20))))
    # typed_code: 2 bytes of time steps, flags (0x80: the right TOTP code), text.
    write("typed_code", "right_code", b"\x00\x10\x80123 456")
    write("typed_code", "backup_code", b"\x00\x00\x0012345-67890")
    write("typed_code", "wrong_code", b"\x01\x00\x05 12.34-56\t")

    login_seeds()

    write("verify_request", "prove", "prove")
    write("verify_request", "sms", nul("sms", "+447700900123"))
    write("verify_request", "email", nul("email", "Alice@Example.COM"))
    write("verify_request", "enroll_sms", nul("enroll-sms", "+447700900123"))
    write("verify_request", "enroll_totp", nul("enroll-totp", "--issuer", "Example", "--qr", "utf8"))
    write("verify_request", "status", "status")
    write("verify_request", "import", nul("import-google-authenticator", "--force", "/home/a/.ga"))


def str8(data):
    data = data.encode() if isinstance(data, str) else data
    return bytes([len(data)]) + data


def str16(data):
    data = data.encode() if isinstance(data, str) else data
    return struct.pack("<H", len(data)) + data


# Reply kinds and fault operations of fuzz/login_case.hpp.
TEXT, TOTP, WRONG, BACKUP, SENT, RESEND, NO_TEXT, NO_REPLY, CONV_ERR = range(9)
ALLOCATE, OPEN, READ, WRITE, SYNC, LOCK, NAME = range(7)
EIO, ENOSPC, EINTR, EACCES, ENOENT, EWOULDBLOCK = range(6)
PERSISTENT, SHORT_WRITE = 0x80, 0x40


def reply(kind, *fields):
    out = bytes([kind])
    for field in fields:
        out += field if isinstance(field, bytes) else bytes([field & 0xff])
    return out


def login_seed(user=0, rhost=0, arguments=0, config="", enrollment=b"\x02\x00\x00\x00" +
               str8("12345678901234567890") + b"\x02\x00\x05", state=b"\x00", fence=b"\x00",
               host_key=b"\x00", replies=(), faults=(), clock=b"\x64\x00\x05\x00\x00"):
    """A login in the layout of fuzz/login_case.hpp: by default root at sshd
    with a TOTP enrollment (two backup codes) and no state yet."""
    return (bytes([user, 0, rhost, 0, arguments]) + str16(config) + enrollment + state + fence +
            host_key + bytes([len(replies)]) + b"".join(replies) + bytes([len(faults)]) +
            b"".join(faults) + clock)


def login_seeds():
    fast = "fail_delay_ms = 0\n"
    record = lambda flags, step=0, spent=0, failures=0, sends=0: bytes(
        [2, flags, step & 0xff, spent, failures, sends])
    write("login", "right_code", login_seed(replies=[reply(TOTP, 0, 0)]))
    write("login", "right_code_grouped", login_seed(replies=[reply(TOTP, 1, 2)]))
    # The state says the step of the right code is spent already.
    write("login", "replayed_code", login_seed(state=record(3), replies=[reply(TOTP, 0, 0)]))
    write("login", "wrong_codes", login_seed(config="max_attempts = 3\n",
                                             replies=[reply(WRONG, 0)] * 3))
    write("login", "backup_code", login_seed(replies=[reply(TEXT, str8("12 34")),
                                                      reply(BACKUP, 1, 2)]))
    write("login", "spent_backup_code", login_seed(state=record(2, spent=2),
                                                   replies=[reply(BACKUP, 1, 0)]))
    write("login", "locked_user", login_seed(
        config="lockout_failures = 3\nlockout_window = 300\nlockout_duration = 900\n",
        state=record(8, failures=3), replies=[reply(TOTP, 0, 0)]))
    write("login", "corrupt_state", login_seed(state=b"\x01" + str16(b"\x00" * 1024),
                                               replies=[reply(TOTP, 0, 0)]))
    write("login", "torn_newer_slot", login_seed(state=record(1 | 2 | 32),
                                                 replies=[reply(TOTP, -1, 0), reply(TOTP, 0, 0)]))
    write("login", "state_write_fails", login_seed(
        replies=[reply(TOTP, 0, 0)], faults=[bytes([WRITE, 2, EIO | PERSISTENT])]))
    write("login", "state_write_torn", login_seed(
        state=record(2), replies=[reply(WRONG, 0), reply(TOTP, 0, 0)],
        faults=[bytes([WRITE, 1, ENOSPC | SHORT_WRITE])]))
    write("login", "state_sync_fails", login_seed(
        replies=[reply(BACKUP, 0, 0)], faults=[bytes([SYNC, 1, EIO | PERSISTENT])]))
    write("login", "lock_held", login_seed(
        replies=[reply(TOTP, 0, 0)], faults=[bytes([LOCK, 1, EWOULDBLOCK | PERSISTENT])]))
    write("login", "allocation_fails", login_seed(
        replies=[reply(TOTP, 0, 0)], faults=[bytes([ALLOCATE, 40, 0])]))
    write("login", "clock_jumps", login_seed(
        replies=[reply(WRONG, 0), reply(TOTP, 0, 0)], clock=b"\x64\x00\x1d\x02\x04"))
    write("login", "fence_of_another_boot", login_seed(
        fence=b"\x04\x00\x00", replies=[reply(TOTP, 0, 0), reply(TOTP, 1, 0)]))
    write("login", "damaged_fence", login_seed(fence=b"\x02" + str16(b"\xff" * 256),
                                               replies=[reply(TOTP, 0, 0)]))
    write("login", "conversation_fails", login_seed(replies=[reply(NO_TEXT), reply(CONV_ERR)]))
    write("login", "no_enrollment_nullok", login_seed(arguments=1, enrollment=b"\x00"))
    write("login", "nobody", login_seed(user=1, replies=[reply(TOTP, 0, 0)]))
    write("login", "group_readable_enrollment", login_seed(
        enrollment=b"\x05\x00\x00\x00" + str8("12345678901234567890") + b"\x00\x00\x00",
        replies=[reply(TOTP, 0, 0)]))
    sms = b"\x03\x00\x00\x00" + str8("") + b"\x01\x00\x09"
    write("login", "sms_code", login_seed(arguments=4, enrollment=sms, state=record(2 | 4),
                                          replies=[reply(SENT)]))
    write("login", "sms_resend", login_seed(arguments=4, config="send_cooldown = 0\n",
                                            enrollment=sms, state=record(2 | 4),
                                            replies=[reply(RESEND), reply(SENT)]))
    write("login", "sms_unverified", login_seed(arguments=4, enrollment=sms, state=record(2),
                                                replies=[reply(BACKUP, 0, 0)]))
    write("login", "email_failmode_safe", login_seed(
        config="failmode = safe\n", enrollment=b"\x04\x00\x00\x00" + str8("") + b"\x00\x00\x00",
        state=record(2 | 4), replies=[reply(SENT)],
        faults=[bytes([OPEN, 1, EACCES | PERSISTENT])]))
    write("login", "remembered_host", login_seed(
        rhost=1, arguments=8, host_key=b"\x01" + str8(bytes(range(32))),
        state=record(2 | 16), replies=[reply(TOTP, 0, 0)]))
    write("login", "exempt_network", login_seed(rhost=2, config="exempt_networks = 10.0.0.0/8\n",
                                                replies=[reply(TOTP, 0, 0)]))
    write("login", "service_section", login_seed(
        config=fast + "[service sshd]\nmax_attempts = 1\ntotp_window = 0\n",
        replies=[reply(TOTP, 1, 0)]))
    write_dict("login", ["max_attempts = ", "totp_window = ", "failmode = safe\n", "nullok\n",
                         "lockout_failures = ", "lockout_duration = ", "remember_host = ",
                         "exempt_networks = 192.0.2.0/24\n", "enforce = groups\n", "groups = ",
                         "[service sshd]\n", "[service sudo]\n", "send_cooldown = 0\n",
                         "max_sends_per_hour = ", "code_digits = ", "help_text = ", "\n"])


if __name__ == "__main__":
    main()
