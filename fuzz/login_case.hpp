// One login as a fuzz input describes it (fuzz_login.cpp): who logs in from
// where, the config, the user's enrollment, state and replay fence, the
// replies typed, the failures injected and the clock.
//
// Layout: bytes read in order from the front; `str8`/`str16` are a length
// (1 or 2 bytes, little-endian) and that many bytes. An input that ends
// early reads as zeros, so every prefix is a login and the smallest is root
// at sshd with an empty config and no enrollment. fuzz/make_seeds.py
// writes seeds in this layout.
//
//   u8 user      0 root, 1 nobody, 2 str8 name, 3 none (pam_get_user fails)
//   u8 service   0 sshd, 1 sudo, 2 login, 3 none, 4 str8 name
//   u8 rhost     0 none, 1 192.0.2.7, 2 10.1.2.3, 3 2001:db8::1, 4 str8 name
//   u8 conv      0 set, 1 PAM_CONV missing, 2 conversation without function
//   u8 arguments bit 0 nullok, 1 debug, 2 sms_allowed_countries=44,
//                3 remember_host=600
//   str16 config text
//   u8 enrollment  0 none, 1 str16 bytes, 2 TOTP, 3 SMS, 4 email,
//                  5 TOTP readable by group, 6 a directory
//     TOTP/SMS/email: u8 algorithm, u8 digits, u8 period, str8 secret,
//                     u8 backup count, u8 backup length, u8 backup seed
//   u8 state       0 none, 1 str16 bytes, 2 record, 3 no state directory,
//                  4 a directory, 5 readable by group
//     record: u8 flags (bit 0 a last step, 1 the enrollment's id, 2 verified
//             destination, 3 locked, 4 remembered host, 5 newer slot torn,
//             6 older slot torn), s8 last step (steps from now),
//             u8 spent backup codes, u8 recent failures, u8 recent sends
//   u8 fence       0 none, 1 empty, 2 str16 bytes, 3 this boot, 4 another boot
//     3, 4: s8 newest step, s8 refused through (steps from now)
//   u8 host key    0 none, 1 str8 bytes
//   u8 replies     count (up to 8), each: u8 kind, then
//     0 str8 text, 1 s8 step of a right TOTP code + u8 separators,
//     2 s8 step of a code one digit off, 3 u8 backup code index + u8 separators,
//     4 the code last sent, 5 "r", 6 a reply without text, 7 no reply,
//     8 conversation error, 9 conversation error with a reply, 10 PAM_BUF_ERR
//   u8 faults      count (up to 3), each: u8 operation, u8 nth call,
//                  u8 errno (bit 7 persistent, bit 6 short write)
//   u16 clock      steps of 30 s from 2026-01-01, u8 second,
//   u8 jump at     time() call from which the clock jumps (0: never),
//   u8 jump        how far (a table of small and large jumps)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fake_time.hpp"
#include "fault_injection.hpp"
#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/state/state_store.hpp"

namespace otpgate::fuzz {

struct EnrollmentSpec {
    enum class Kind : std::uint8_t { none, bytes, totp, sms, email, group_readable, directory };
    Kind kind = Kind::none;
    std::string bytes;
    core::TotpParameters totp;
    std::string secret;  // at least 10 bytes
    unsigned backup_count = 0;
    unsigned backup_digits = 10;  // 8: imported scratch codes
    std::uint8_t backup_seed = 0;
};

struct StateSpec {
    enum class Kind : std::uint8_t { none, bytes, record, no_directory, directory, group_readable };
    Kind kind = Kind::none;
    std::string bytes;
    bool has_last_step = false;
    int last_step = 0;  // from the step of the start time
    bool same_enrollment = false;
    bool verified_destination = false;
    bool locked = false;
    bool remembered_host = false;
    bool newer_slot_torn = false;
    bool older_slot_torn = false;
    std::uint8_t spent_backups = 0;
    unsigned recent_failures = 0;
    unsigned recent_sends = 0;
};

struct FenceSpec {
    enum class Kind : std::uint8_t { none, empty, bytes, this_boot, other_boot };
    Kind kind = Kind::none;
    std::string bytes;
    int newest_step = 0;
    int refused_step = 0;
};

struct Reply {
    enum class Kind : std::uint8_t {
        text,
        totp_code,
        wrong_code,
        backup_code,
        sent_code,
        resend,
        no_text,
        no_reply,
        conversation_error,
        error_with_reply,
        buffer_error,
    };
    Kind kind = Kind::text;
    std::string text;
    int step = 0;        // totp_code, wrong_code
    unsigned index = 0;  // backup_code
    std::uint8_t separators = 0;
};

struct LoginCase {
    enum class UserKind : std::uint8_t { root, nobody, named, none };
    UserKind user_kind = UserKind::root;
    std::string user_name;
    std::optional<std::string> service;
    std::optional<std::string> remote_host;
    enum class ConversationKind : std::uint8_t { set, missing, no_function };
    ConversationKind conversation = ConversationKind::set;
    bool nullok = false;
    bool debug = false;
    bool allow_uk_numbers = false;
    bool remember_host = false;
    std::string config_text;
    EnrollmentSpec enrollment;
    StateSpec state;
    FenceSpec fence;
    std::optional<std::string> host_key;
    std::vector<Reply> replies;
    FaultPlan faults;
    ClockPlan clock;
};

inline constexpr std::int64_t login_epoch = 1767225600;  // 2026-01-01

LoginCase decode_login_case(const std::uint8_t* data, std::size_t size);

}  // namespace otpgate::fuzz
