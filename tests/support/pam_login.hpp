// Logins through real libpam, each in a forked child (as sshd runs them),
// with the child's stderr, where pam_wrapper prints pam_syslog lines,
// captured for the test to assert on.
#pragma once

#include <security/pam_appl.h>
#include <sys/resource.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otpgate::pam_tests {

struct LoginRequest {
    std::string service = "otpgate";
    std::string user;
    // Given in order, one per prompt; when they run out the conversation
    // fails (PAM_CONV_ERR), so a test sees any unexpected extra prompt.
    std::vector<std::string> answers;
    // PAM_RHOST, as sshd sets it; empty leaves it unset (a local login).
    std::string rhost;
    bool call_authenticate = true;
    bool call_setcred = false;  // pam_setcred(PAM_ESTABLISH_CRED) afterwards
    // RLIMIT_FSIZE for the authentication, to make every write fail.
    std::optional<rlim_t> file_size_limit;
};

struct Prompt {
    int style = 0;
    std::string text;
    bool operator==(const Prompt&) const = default;
};

struct LogLine {
    int priority = 0;
    std::string message;
};

struct LoginResult {
    int start_rc = -1;
    int auth_rc = -1;
    int setcred_rc = -1;
    std::vector<Prompt> prompts;  // every message the module sent, in order
    std::vector<LogLine> log;     // the pam_syslog lines
    std::string stderr_text;      // everything the child printed on stderr
    std::string failure;          // empty unless the child misbehaved
    double seconds = 0;

    [[nodiscard]] std::size_t prompt_count() const { return prompts.size(); }
    [[nodiscard]] std::size_t count_logged(std::string_view needle) const;
    [[nodiscard]] bool logged(std::string_view needle) const { return count_logged(needle) > 0; }
    // All of the child's stderr without pam_wrapper's per-line prefix (which
    // holds the pid), for checking that no secret was ever printed.
    [[nodiscard]] std::string printed_text() const;
    [[nodiscard]] std::string describe() const;  // for assertion messages
};

// Runs one login to completion.
LoginResult run_login(const LoginRequest& request);

// Forks one child per request. Each calls pam_start, then all wait at a
// barrier and are released together into pam_authenticate.
std::vector<LoginResult> run_logins_together(const std::vector<LoginRequest>& requests);

// "PAM_SUCCESS", "PAM_AUTH_ERR", ... for messages.
std::string pam_code_name(int code);

// For forked login children (here and in tests/hostile): all of `text`,
// retrying on EINTR; gives up silently when the reader is gone.
void write_all(int fd, std::string_view text);

// What a login child reports on its result pipe, lines of "start RC",
// "auth RC", "setcred RC" and the conversation's transcript, into `result`.
void parse_report(const std::string& report, LoginResult& result);
// The pam_syslog lines pam_wrapper printed in result.stderr_text, into
// result.log.
void parse_log(LoginResult& result);

// pam_wrapper starts over in every forked child; once pam_start has read
// the service files, the child removes the folder it made (see the .cpp).
void remove_own_pam_wrapper_folder(const std::string& parent_folder);

}  // namespace otpgate::pam_tests
