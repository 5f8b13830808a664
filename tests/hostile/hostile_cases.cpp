// The hostile-input and fault table: one row per case, each run through the
// real pam_otpgate.so in real libpam. Every row says what is set up, what
// the application answers, the PAM code the module must return and a
// substring of the line it must log. Every row also checks that the login
// neither crashed nor hung, printed no secret, and left alice's enrollment
// file exactly as it was.
#include <gtest/gtest.h>
#include <security/pam_appl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hostile_case.hpp"

namespace otpgate::hostile_tests {
namespace {

using namespace std::string_literals;  // "…\0…"s keeps the NUL

// ---- the table --------------------------------------------------------------

const std::string long_name(65, 'a');
const std::string name_64(64, 'b');

// clang-format off
std::vector<HostileCase> cases() {
    return {
        // name                       setup  user  reply  expected PAM code  expected log line
        // -- replies --------------------------------------------------------------------
        {"reply_right_code_control", totp_alice, "alice", answer("{code}"), PAM_SUCCESS,
         "user alice authenticated with a TOTP code"},
        {"reply_empty", totp_alice, "alice", answer(""), PAM_AUTH_ERR,
         "unusable answer from user alice (0 characters)"},
        {"reply_only_blanks", totp_alice, "alice", answer(" \t - . "), PAM_AUTH_ERR,
         "unusable answer from user alice (7 characters)"},
        {"reply_overlong_1MiB", totp_alice, "alice", answer(std::string(1 << 20, '7')),
         PAM_AUTH_ERR, "unusable answer from user alice (4096 characters)"},
        {"reply_64_digits", totp_alice, "alice", answer(std::string(64, '1')), PAM_AUTH_ERR,
         "wrong code for user alice (64 digits)"},
        {"reply_65_digits", totp_alice, "alice", answer(std::string(65, '1')), PAM_AUTH_ERR,
         "unusable answer from user alice (65 characters)"},
        {"reply_nul_before_code", totp_alice, "alice", answer("\0{code}"s), PAM_AUTH_ERR,
         "unusable answer from user alice (0 characters)"},
        {"reply_nul_after_wrong_code", totp_alice, "alice", answer("{wrong}\0{code}"s),
         PAM_AUTH_ERR, "wrong code for user alice (6 digits)"},
        {"reply_code_then_nul_then_junk", totp_alice, "alice", answer("{code}\0\x1b[2J"s),
         PAM_SUCCESS, "user alice authenticated with a TOTP code"},
        {"reply_escape_sequence", totp_alice, "alice", answer("\x1b[2J{code}"), PAM_AUTH_ERR,
         "unusable answer from user alice (10 characters)"},
        {"reply_trailing_newline", totp_alice, "alice", answer("{code}\r\n"), PAM_AUTH_ERR,
         "unusable answer from user alice (8 characters)"},
        {"reply_non_utf8", totp_alice, "alice", answer("\xff\xfe\xc3{code}"), PAM_AUTH_ERR,
         "unusable answer from user alice (9 characters)"},
        {"reply_fullwidth_digits", totp_alice, "alice",
         answer("\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96"),
         PAM_AUTH_ERR, "unusable answer from user alice (18 characters)"},
        {"reply_null_response", totp_alice, "alice", null_response, PAM_CONV_ERR,
         "the application could not ask user alice for a code"},
        {"reply_null_reply_array", totp_alice, "alice", null_reply_array, PAM_CONV_ERR,
         "the application could not ask user alice for a code"},
        {"conversation_fails", totp_alice, "alice", conversation_error, PAM_CONV_ERR,
         "the application could not ask user alice for a code"},
        {"conversation_fails_on_second_try", with_config("max_attempts = 3"), "alice",
         {text("{wrong}"), {Reply::Kind::conversation_error, {}}}, PAM_CONV_ERR,
         "the application could not ask user alice for a code"},

        // -- the config file -------------------------------------------------------------
        {"config_malformed_line", config_text("max_attempts 3\n"), "alice", answer("{code}"),
         PAM_SERVICE_ERR, ":1: expected 'key = value'"},
        {"config_unterminated_quote", config_text("prompt = \"Code: \n"), "alice",
         answer("{code}"), PAM_SERVICE_ERR, ":1: unterminated quote"},
        {"config_bad_value", with_config("max_attempts = lots"), "alice", answer("{code}"),
         PAM_SERVICE_ERR, "bad value for max_attempts: expected a whole number from 1 to 10"},
        {"config_nul_in_value", config_text("max_attempts = 1\0 9\n"s), "alice",
         answer("{code}"), PAM_SERVICE_ERR, "bad value for max_attempts"},
        {"config_binary_garbage", config_text("\x7f" "ELF\x02\x01\x01\0\0\0\n\xff\xfe=\x01\n"s),
         "alice", answer("{code}"), PAM_SERVICE_ERR, ":1: expected 'key = value'"},
        {"config_unknown_key_is_warned_about", with_config("frobnicate = yes"), "alice",
         answer("{code}"), PAM_SUCCESS, "unknown key 'frobnicate' ignored"},
        {"config_crlf_line_endings", config_text("debug = yes\r\nmax_attempts = 1\r\n"), "alice",
         answer("{code}"), PAM_SUCCESS, "user alice authenticated with a TOTP code"},
        {"config_utf8_bom", config_text("\xef\xbb\xbf" "debug = yes\nmax_attempts = 1\n"), "alice",
         answer("{code}"), PAM_SUCCESS, ":1: unknown key '\\xef\\xbb\\xbfdebug' ignored"},
        {"config_unknown_key_with_escape", with_config("\x1b]0;owned\x07 = 1"), "alice",
         answer("{code}"), PAM_SUCCESS, "unknown key '\\x1b]0;owned\\x07' ignored"},
        {"config_no_free_descriptor", [](World& world) {
             totp_alice(world);
             world.free_descriptors = 0;
         },
         "alice", answer("{code}"), PAM_SERVICE_ERR, "Too many open files"},
        {"config_huge", config_text(std::string(70000, '#') + "\n"), "alice", answer("{code}"),
         PAM_SERVICE_ERR, "is larger than 65536 bytes"},
        {"config_missing", config_file([](const std::filesystem::path&) {}), "alice",
         answer("{code}"), PAM_SERVICE_ERR, "does not exist"},
        {"config_mode_0666", config_text("debug = yes\n", 0666), "alice", answer("{code}"),
         PAM_SERVICE_ERR, "has unsafe permissions 0666"},
        {"config_of_another_owner", config_file([](const std::filesystem::path& path) {
             pam_tests::write_file(path, "debug = yes\n", 0600);
             pam_tests::change_owner(path, 2001, 2001);
         }),
         "alice", answer("{code}"), PAM_SERVICE_ERR, "is owned by uid 2001"},
        {"config_symlink", config_file([](const std::filesystem::path& path) {
             pam_tests::write_file(path.string() + ".real", "debug = yes\n", 0600);
             std::filesystem::create_symlink(path.string() + ".real", path);
         }),
         "alice", answer("{code}"), PAM_SERVICE_ERR, "is a symbolic link"},
        {"config_unreadable_directory",
         config_file([](const std::filesystem::path& path) { std::filesystem::create_directory(path); }),
         "alice", answer("{code}"), PAM_SERVICE_ERR, "is not a regular file"},
        {"config_fifo_does_not_hang",
         config_file([](const std::filesystem::path& path) { ASSERT_EQ(mkfifo(path.c_str(), 0600), 0); }),
         "alice", answer("{code}"), PAM_SERVICE_ERR, "is not a regular file"},

        // -- alice's enrollment file -----------------------------------------------------
        {"enrollment_truncated",
         enrollment_text([](const std::string& old) { return old.substr(0, old.size() / 2); }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "refusing enrollment of user alice"},
        {"enrollment_empty", enrollment_text([](const std::string&) { return ""; }), "alice",
         answer("{code}"), PAM_AUTH_ERR, "refusing enrollment of user alice"},
        {"enrollment_binary_garbage",
         enrollment_text([](const std::string&) { return "\0\xff\x01garbage\n\x7f"s; }), "alice",
         answer("{code}"), PAM_AUTH_ERR, "refusing enrollment of user alice"},
        {"enrollment_nul_in_secret",
         enrollment_text([](const std::string& old) {
             std::string out = old;
             out[out.find("totp_secret") + 15] = '\0';
             return out;
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "refusing enrollment of user alice"},
        {"enrollment_huge",
         enrollment_text([](const std::string& old) { return old + std::string(20000, '#'); }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "is larger than 16384 bytes"},
        {"enrollment_of_another_owner",
         enrollment([](World& world, const std::filesystem::path& path) {
             pam_tests::change_owner(path, world.uid_of("bob"), world.uid_of("bob"));
             chmod(path.c_str(), 0644);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "is owned by uid 2002, expected uid 2001"},
        {"enrollment_of_another_owner_unreadable",
         enrollment([](World& world, const std::filesystem::path& path) {
             pam_tests::change_owner(path, world.uid_of("bob"), world.uid_of("bob"));
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, ".otpgate: Permission denied"},
        {"enrollment_mode_0666",
         enrollment([](World&, const std::filesystem::path& path) { chmod(path.c_str(), 0666); }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "has unsafe permissions 0666"},
        {"enrollment_mode_0640",
         enrollment([](World&, const std::filesystem::path& path) { chmod(path.c_str(), 0640); }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "has unsafe permissions 0640"},
        {"enrollment_symlink", enrollment_replaced([](const std::filesystem::path& path) {
             std::filesystem::create_symlink(path.string() + ".real", path);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "is a symbolic link"},
        {"enrollment_directory", enrollment_replaced([](const std::filesystem::path& path) {
             std::filesystem::create_directory(path);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "is not a regular file"},
        {"enrollment_fifo_does_not_hang", enrollment_replaced([](const std::filesystem::path& path) {
             ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
             pam_tests::change_owner(path, 2001, 2001);  // alice's own, so she can open it
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "is not a regular file"},
        {"enrollment_on_full_fs", home_full, "alice", answer("{code}"), PAM_SUCCESS,
         "user alice authenticated with a TOTP code"},
        {"enrollment_on_read_only_fs", home_read_only, "alice", answer("{code}"), PAM_SUCCESS,
         "user alice authenticated with a TOTP code"},

        // -- alice's state file and the state directory ---------------------------------
        {"state_truncated",
         state([](World&, const std::filesystem::path& path) { truncate(path.c_str(), 100); }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "has 100 bytes, expected 1024", state_kept},
        {"state_empty",
         state([](World&, const std::filesystem::path& path) { truncate(path.c_str(), 0); }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "has 0 bytes, expected 1024", state_kept},
        {"state_both_records_corrupt", state([](World&, const std::filesystem::path& path) {
             overwrite(path, 100, "x");
             overwrite(path, 612, "x");
         }),
         "alice", answer("{code-1}"), PAM_AUTH_ERR, "no valid record; refusing logins",
         state_kept},
        {"state_oversized", state([](World&, const std::filesystem::path& path) {
             truncate(path.c_str(), 1 << 20);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "has 1048576 bytes, expected 1024", state_kept},
        {"state_newest_record_torn_keeps_the_other", state([](World&, const std::filesystem::path& path) {
             overwrite(path, 512 + 100, "torn");  // the record log_in_once committed
         }),
         "alice", answer("{code}"), PAM_SUCCESS, "user alice authenticated with a TOTP code"},
        {"state_of_another_owner", state([](World&, const std::filesystem::path& path) {
             pam_tests::change_owner(path, 2001, 2001);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "private to it (it is owned by uid 2001)"},
        {"state_mode_0666",
         state([](World&, const std::filesystem::path& path) { chmod(path.c_str(), 0666); }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "private to it (it has mode 0666)"},
        {"state_hard_link", state([](World& world, const std::filesystem::path& path) {
             std::filesystem::create_hard_link(path, world.root() / "state-link");
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "private to it (it has 2 links)"},
        {"state_symlink", state_replaced([](const std::filesystem::path& path) {
             pam_tests::write_file(path.string() + "-elsewhere", std::string(1024, '\0'), 0600);
             std::filesystem::create_symlink(path.string() + "-elsewhere", path);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "is a symbolic link"},
        {"state_directory", state_replaced([](const std::filesystem::path& path) {
             std::filesystem::create_directory(path);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "cannot open: Is a directory"},
        {"state_fifo_does_not_hang", state_replaced([](const std::filesystem::path& path) {
             ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "private to it (it is not a regular file)"},
        {"state_directory_world_writable", state([](World& world, const std::filesystem::path&) {
             chmod(world.sandbox().state_dir().c_str(), 0777);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "not writable by group or others"},
        {"state_dir_is_a_file", [](World& world) {
             totp_alice(world);
             pam_tests::write_file(world.root() / "state-file", "", 0600);
             world.config("state_dir = " + (world.root() / "state-file").string() + "\n");
         },
         "alice", answer("{code}"), PAM_AUTH_ERR, "cannot open state directory"},
        {"state_one_free_descriptor", state([](World& world, const std::filesystem::path&) {
             world.free_descriptors = 1;  // enough for the config and the enrollment
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "Too many open files"},
        {"state_on_read_only_fs", state_on_tmpfs(Fs::read_only, true), "alice", answer("{code}"),
         PAM_AUTH_ERR, "cannot open: Read-only file system"},
        {"state_on_read_only_fs_first_login", state_on_tmpfs(Fs::read_only, false), "alice",
         answer("{code}"), PAM_AUTH_ERR, "Read-only file system"},
        {"state_on_full_fs", state_on_tmpfs(Fs::full, true), "alice", answer("{code}"),
         PAM_SUCCESS, "user alice authenticated with a TOTP code", spent_code_stays_spent},
        {"state_on_full_fs_first_login", state_on_tmpfs(Fs::full, false), "alice",
         answer("{code}"), PAM_AUTH_ERR, "No space left on device"},

        // -- the host-wide replay fence (replay_fence.hpp) --------------------------------
        {"fence_damaged", state([](World&, const std::filesystem::path& path) {
             pam_tests::write_file(path.parent_path() / ".replay-fence", std::string(256, 'x'), 0600);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "refused: the replay fence in"},
        {"fence_symlink", state([](World&, const std::filesystem::path& path) {
             const auto fence = path.parent_path() / ".replay-fence";
             std::filesystem::rename(fence, path.string() + "-fence");
             std::filesystem::create_symlink(path.string() + "-fence", fence);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "/.replay-fence: is a symbolic link"},
        {"fence_directory", state([](World&, const std::filesystem::path& path) {
             const auto fence = path.parent_path() / ".replay-fence";
             std::filesystem::remove(fence);
             std::filesystem::create_directory(fence);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "/.replay-fence: cannot open: Is a directory"},
        {"fence_fifo_does_not_hang", state([](World&, const std::filesystem::path& path) {
             const auto fence = path.parent_path() / ".replay-fence";
             std::filesystem::remove(fence);
             ASSERT_EQ(mkfifo(fence.c_str(), 0600), 0);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "/.replay-fence: must be a regular file"},
        {"fence_of_another_owner", state([](World&, const std::filesystem::path& path) {
             pam_tests::change_owner(path.parent_path() / ".replay-fence", 2001, 2001);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "/.replay-fence: must be a regular file"},
        {"fence_missing_on_full_fs", state_on_tmpfs(Fs::full, true, false), "alice",
         answer("{code}"), PAM_SUCCESS, "flushing the state of user alice itself", spent_code_stays_spent},

        // -- the clock -------------------------------------------------------------------
        {"clock_back_one_step_spent_code", state([](World& world, const std::filesystem::path&) {
             world.step_clock(-60);  // back to the step log_in_once used, minus one
         }),
         "alice", answer("{code+1}"), PAM_AUTH_ERR, "replayed code for user alice refused"},
        {"clock_back_an_hour", state([](World& world, const std::filesystem::path&) {
             world.step_clock(-3600);
         }),
         "alice", answer("{code}"), PAM_AUTH_ERR, "replayed code for user alice refused"},
        {"clock_forward_a_year", state([](World& world, const std::filesystem::path&) {
             world.step_clock(365 * 86400);
         }),
         "alice", answer("{code}"), PAM_SUCCESS, "user alice authenticated with a TOTP code",
         spent_code_stays_spent},
        {"clock_after_2106", state([](World& world, const std::filesystem::path&) {
             world.sandbox().set_time(4'354'819'215);  // 2108: past 32-bit times
         }),
         "alice", answer("{code}"), PAM_SUCCESS, "user alice authenticated with a TOTP code",
         spent_code_stays_spent},
        {"clock_before_1970", [](World& world) {
             totp_alice(world);
             world.sandbox().set_time(-86400 + 15);  // a negative Unix time
         },
         "alice", answer("000000"), PAM_AUTH_ERR, "wrong code for user alice (6 digits)"},
        {"clock_before_enrollment", [](World& world) {
             totp_alice(world);
             world.sandbox().set_time(86400 + 15);  // 1970
         },
         "alice", answer("{code}"), PAM_SUCCESS, "user alice authenticated with a TOTP code",
         spent_code_stays_spent},

        {"clock_back_during_lockout", locked_out_then(-3600), "alice", answer("{code}"),
         PAM_AUTH_ERR, "is locked for 900 more s"},
        {"clock_forward_past_lockout", locked_out_then(901), "alice", answer("{code}"),
         PAM_SUCCESS, "user alice authenticated with a TOTP code"},

        // -- odd user names (answered with alice's code: it must never count) ---------
        {"user_name_too_long", totp_alice, long_name, answer("{code}"), PAM_AUTH_ERR,
         "user name longer than 64 bytes"},
        {"user_name_with_space", totp_alice, "alice bob", answer("{code}"), PAM_AUTH_ERR,
         "refusing user name 'alice bob': user name contains a character not allowed"},
        {"user_name_with_newline", totp_alice, "alice\nroot", answer("{code}"), PAM_AUTH_ERR,
         "refusing user name 'alice\\nroot'"},
        {"user_name_with_escape", totp_alice, "\x1b[31malice", answer("{code}"), PAM_AUTH_ERR,
         "refusing user name '\\x1b[31malice'"},
        {"user_name_dot_dot_slash", totp_alice, "../alice", answer("{code}"), PAM_AUTH_ERR,
         "user name starts with '.' or '-'"},
        {"user_name_with_slash", totp_alice, "x/../../alice", answer("{code}"), PAM_AUTH_ERR,
         "user name contains a character not allowed"},
        {"user_name_leading_dash", totp_alice, "-alice", answer("{code}"), PAM_AUTH_ERR,
         "user name starts with '.' or '-'"},
        {"user_name_numeric_uid_of_alice", totp_alice, "2001", answer("{code}"), PAM_AUTH_ERR,
         "user 2001 does not exist"},
        {"user_name_utf8_unknown", totp_alice, "\xc3\xa4lice", answer("{code}"), PAM_AUTH_ERR,
         "does not exist"},
        {"user_name_empty", totp_alice, "", answer("{code}"), PAM_AUTH_ERR, "empty user name"},
        {"user_name_asked_for", totp_alice, std::nullopt, {text("alice"), text("{code}")},
         PAM_SUCCESS, "user alice authenticated with a TOTP code"},
        {"user_name_asked_for_null_reply", totp_alice, std::nullopt, null_response,
         PAM_USER_UNKNOWN, "cannot determine the user name"},
        {"user_name_asked_for_conversation_fails", totp_alice, std::nullopt, conversation_error,
         PAM_USER_UNKNOWN, "cannot determine the user name"},
        {"user_name_utf8_enrolled", odd_user("j\xc3\xbcrgen"), "j\xc3\xbcrgen",
         answer("{code:user}"), PAM_SUCCESS, "user j\xc3\xbcrgen authenticated with a TOTP code"},
        {"user_name_64_bytes_enrolled", odd_user(name_64), name_64, answer("{code:user}"),
         PAM_SUCCESS, "user " + name_64 + " authenticated with a TOTP code"},

        // -- the SMS gateway and the SMTP server ------------------------------------------
        {"sms_gateway_trickles", sms_gateway("trickle"), "alice", answer("000000"), PAM_AUTH_ERR,
         "could not send a code to user alice (SMS +44•••••••123): timed out after",
         within_timeout},
        {"sms_gateway_trickles_failmode_safe", sms_gateway("trickle", "failmode = safe\n"),
         "alice", no_reply, PAM_SUCCESS, "FAILMODE SAFE: letting user alice (SMS +44",
         within_timeout},
        {"sms_gateway_answers_300", sms_gateway("redirect_300"), "alice", answer("000000"),
         PAM_AUTH_ERR, "gateway answered HTTP 300 (a redirect; redirects are not followed)",
         gateway_asked_once},
        {"sms_gateway_redirect_loop", sms_gateway("redirect_loop"), "alice", answer("000000"),
         PAM_AUTH_ERR, "gateway answered HTTP 302 (a redirect; redirects are not followed)",
         gateway_asked_once},
        {"sms_gateway_redirects_to_another_host", sms_gateway("redirect_away"), "alice",
         answer("000000"), PAM_AUTH_ERR,
         "gateway answered HTTP 307 (a redirect; redirects are not followed)", gateway_asked_once},
        {"sms_gateway_huge_body", sms_gateway("huge"), "alice", answer("000000"), PAM_AUTH_ERR,
         "gateway response exceeds 65536 bytes", within_timeout},
        {"sms_gateway_endless_headers", sms_gateway("endless_headers"), "alice",
         answer("000000"), PAM_AUTH_ERR, "Too large response headers", within_timeout},
        {"sms_gateway_fails_backup_code_still_works", sms_gateway("huge"), "alice",
         answer("{backup}"), PAM_SUCCESS, "user alice authenticated with a backup code"},
        {"sms_resend_flood", sms_gateway("ok", "max_resends = 2\nsend_cooldown = 0\n"), "alice",
         {text("r"), text("r"), text("r"), text("R")}, PAM_AUTH_ERR,
         "second factor failed for user alice (SMS +44", [](World& world, const LoginResult&, const Before&) {
             const std::string log = pam_tests::read_file(world.server_log());
             EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 3) << "1 code + max_resends";
         }},
        {"sms_state_on_read_only_fs", sms_state_read_only, "alice", no_reply, PAM_AUTH_ERR,
         "cannot send a code to user alice: state file"},
        {"smtp_drops_mid_data", smtp_server("drop"), "alice", answer("000000"), PAM_AUTH_ERR,
         "could not send a code to user alice (email", smtp_dropped},
        {"smtp_stalls_mid_data", smtp_server("stall"), "alice", answer("000000"), PAM_AUTH_ERR,
         "could not send a code to user alice (email", within_timeout},
    };
}
// clang-format on

std::optional<std::string> regular_file_content(const std::filesystem::path& path) {
    struct stat info {};
    if (lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
        return std::nullopt;
    }
    return pam_tests::read_file(path);
}

class HostileCases : public ::testing::TestWithParam<HostileCase> {
protected:
    void SetUp() override {
        // Without the preloaded pam_wrapper, pam_start would read /etc/pam.d.
        ASSERT_TRUE(pam_tests::pam_wrapper_active())
            << "pam_wrapper is not preloaded (run through ctest)";
        m_world = std::make_unique<World>();  // sets nss_wrapper's files
        ASSERT_TRUE(pam_tests::nss_wrapper_active()) << "nss_wrapper is not preloaded";
        ASSERT_EQ(std::time(nullptr), pam_tests::base_time) << "libfaketime is not preloaded";
    }
    std::unique_ptr<World> m_world;
};

TEST_P(HostileCases, FailsClosedWithAClearLogLine) {
    const HostileCase& row = GetParam();
#ifdef OTPGATE_TEST_SANITIZED
    // UBSan's vptr check itself needs a pipe: with no descriptor left it
    // reports an error of its own, not of the module.
    if (row.name.find("free_descriptor") != std::string::npos) {
        GTEST_SKIP() << "UBSan needs free descriptors";
    }
#endif
    World& world = *m_world;
    row.setup(world);
    if (::testing::Test::HasFatalFailure()) {
        return;
    }
    Before before{regular_file_content(enrollment_of(world)),
                  regular_file_content(world.sandbox().state_file("alice"))};
    struct stat enrollment_info {};
    const bool had_enrollment = lstat(enrollment_of(world).c_str(), &enrollment_info) == 0;

    LoginAttempt attempt;
    attempt.user = row.user;
    attempt.free_descriptors = world.free_descriptors;
    for (const Reply& reply : row.replies) {
        attempt.replies.push_back({reply.kind, world.expand(reply.text, row.user.value_or(""))});
    }
    const bool host_state_existed = std::filesystem::exists("/var/lib/otpgate");
    const LoginResult result = run_attempt(attempt);
    EXPECT_TRUE(host_state_existed || !std::filesystem::exists("/var/lib/otpgate"))
        << "the login used the host's state directory: the row's config lacks state_dir";
    if (std::getenv("OTPGATE_HOSTILE_SHOW") != nullptr) {  // to read what a row logs
        std::fprintf(stderr, "%.2f s; %s\n", result.seconds, result.describe().c_str());
    }

    EXPECT_EQ(result.failure, "") << result.describe();  // no crash, no hang
    EXPECT_EQ(result.start_rc, PAM_SUCCESS) << result.describe();
    EXPECT_EQ(pam_tests::pam_code_name(result.auth_rc), pam_tests::pam_code_name(row.expected_rc))
        << result.describe();
    EXPECT_TRUE(result.logged(row.expected_log))
        << "expected a log line with: " << row.expected_log << "\n"
        << result.describe();

    // The module never writes, moves or removes an enrollment.
    struct stat after {};
    if (had_enrollment) {
        ASSERT_EQ(lstat(enrollment_of(world).c_str(), &after), 0) << "the enrollment is gone";
        EXPECT_EQ(after.st_mode, enrollment_info.st_mode);
        EXPECT_EQ(after.st_ino, enrollment_info.st_ino) << "the enrollment was replaced";
    }
    EXPECT_EQ(regular_file_content(enrollment_of(world)), before.enrollment)
        << "the enrollment changed";

    // Nothing secret is ever printed: not the secret, not a backup code,
    // not a typed code.
    const std::string printed = result.printed_text();
    std::vector<std::string> secrets = world.secrets();
    for (const Reply& reply : attempt.replies) {
        if (reply.text.size() >= 6 && reply.text.size() <= 64 &&
            reply.text.find_first_not_of("0123456789") == std::string::npos &&
            reply.text != std::string(reply.text.size(), reply.text[0])) {
            secrets.push_back(reply.text);
        }
    }
    for (const auto& secret : secrets) {
        EXPECT_EQ(printed.find(secret), std::string::npos)
            << "the login printed '" << secret << "'\n"
            << result.describe();
    }
    if (row.check) {
        row.check(world, result, before);
    }
}

INSTANTIATE_TEST_SUITE_P(Table, HostileCases, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<HostileCase>& param) {
                             return param.param.name;
                         });

}  // namespace
}  // namespace otpgate::hostile_tests
