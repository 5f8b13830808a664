// The fixture every libpam test uses: refuses to run unless the wrappers
// are preloaded, builds a sandbox, and checks every login's output for
// secrets and typed codes.
#pragma once

#include <gtest/gtest.h>
#include <security/pam_appl.h>

#include <memory>
#include <string>
#include <vector>

#include "pam_login.hpp"
#include "pam_sandbox.hpp"

namespace otpgate::pam_tests {

class PamTest : public ::testing::Test {
protected:
    void SetUp() override;

    [[nodiscard]] Sandbox& sandbox() { return *m_sandbox; }

    // Enrolls a user and remembers the secret and backup codes, which no
    // login may ever print.
    KnownEnrollment enroll(const std::string& user, core::TotpParameters params = {},
                           unsigned backup_codes = 10);

    // The oracle's code `steps` periods away from the current faked time.
    std::string code_at(const KnownEnrollment& enrollment, std::int64_t steps = 0);
    // A code of the right length that matches no step in the window.
    std::string wrong_code(const KnownEnrollment& enrollment, unsigned window = 1);

    // Moves the faked clock by whole periods of 30 seconds.
    void advance_steps(std::int64_t steps);

    // One login; the result is checked for leaked secrets before returning.
    LoginResult login(const std::string& user, std::vector<std::string> answers,
                      const std::string& service = "otpgate");
    LoginResult login(const LoginRequest& request);
    std::vector<LoginResult> login_together(const std::vector<LoginRequest>& requests);

    // No secret, backup code or typed code appears in what the login printed.
    void expect_no_secrets(const LoginResult& result) const;

private:
    void remember(const std::vector<std::string>& answers);

    std::unique_ptr<Sandbox> m_sandbox;
    std::vector<std::string> m_secrets;
};

// Tests of what one store has and the other has not (the user's own file;
// root's folder of enrollments): skipped, and saying so, under the other
// store. Only in a test body or SetUp(), like GTEST_SKIP itself.
#define OTPGATE_FILES_STORE_ONLY(why)                         \
    if (sandbox().local_store()) {                            \
        GTEST_SKIP() << "only with store = files: " << (why); \
    }
#define OTPGATE_LOCAL_STORE_ONLY(why)                         \
    if (!sandbox().local_store()) {                           \
        GTEST_SKIP() << "only with store = local: " << (why); \
    }

// A prompt for a code, as the module sends it.
inline const Prompt code_prompt{PAM_PROMPT_ECHO_OFF, "Verification code: "};

// The prompts of a TOTP dialogue whose every answer is refused (with no
// help_text configured): the first as it is, each later one saying why.
inline std::vector<Prompt> refused_code_prompts(std::size_t count) {
    std::vector<Prompt> prompts(count,
                                Prompt{PAM_PROMPT_ECHO_OFF, "Wrong code. " + code_prompt.text});
    if (!prompts.empty()) {
        prompts.front() = code_prompt;
    }
    return prompts;
}

}  // namespace otpgate::pam_tests
