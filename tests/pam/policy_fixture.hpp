// The fixture of the libpam policy tests: the sandbox of tests/support, plus users
// with a password pam_unix can check, groups in the nss_wrapper group file,
// and logins that name a remote host (PAM_RHOST).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pam_fixture.hpp"

namespace otpgate::pam_tests {

// Every sandbox user's password, for the stacks that start with pam_unix.
inline constexpr std::string_view test_password = "correct horse battery";

// The prompt pam_unix shows for the password.
inline const Prompt password_prompt{PAM_PROMPT_ECHO_OFF, "Password: "};

class PolicyTest : public PamTest {
protected:
    void SetUp() override;

    // Rewrites the group file: every user's own primary group, then these
    // lines ("admins:x:3000:bob,carol").
    void write_groups(const std::vector<std::string>& extra_lines);

    // Points a user's primary group at `gid` in the passwd file.
    void set_primary_group(std::string_view user, unsigned gid);

    // One login through `service` from `rhost` (empty: a local login).
    LoginResult login_from(const std::string& user, std::vector<std::string> answers,
                           const std::string& rhost, const std::string& service = "policy-key");

private:
    void write_passwd();
    std::vector<std::pair<std::string, unsigned>> m_primary_groups;
};

}  // namespace otpgate::pam_tests
