// The PAM stacks the documentation tells administrators to write, read from
// the documentation itself and run through real libpam, so that they break
// here when the text drifts:
//   - the key-and-code sshd stack of the README's guide (its `pam` block
//     under "Protect sshd, step by step", which must be the active lines of
//     the shipped example conf/pam.d/sshd); pam_permit in it stands for the
//     key sshd checked before PAM;
//   - the pam-auth-update profile (conf/pam-configs/otpgate) in the
//     common-auth Debian builds from it, after pam_unix.
// Each must work for every policy: a login the module skips (PAM_IGNORE)
// passes on the first factor, a right code passes, a wrong code fails, and
// in common-auth a wrong password fails whatever the policy.
#include <security/pam_appl.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "policy_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

const std::string password(test_password);
const std::string laptop = "198.51.100.7";

std::string source_file(const std::string& relative) {
    return read_file(std::filesystem::path(OTPGATE_SOURCE_DIR) / relative);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

// A PAM line as its fields, so that alignment does not count.
std::vector<std::string> fields_of(const std::string& line) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; in >> field;) {
        fields.push_back(field);
    }
    return fields;
}

// The `pam` block of the guide's sshd section, line by line as written.
std::vector<std::string> readme_sshd_stack() {
    const std::string readme = source_file("README.md");
    const auto section = readme.find("### Protect sshd, step by step");
    if (section == std::string::npos) {
        throw std::runtime_error("README.md has no section \"Protect sshd, step by step\"");
    }
    const auto open = readme.find("```pam\n", section);
    const auto next_section = readme.find("\n### ", section + 1);
    if (open == std::string::npos || open > next_section) {
        throw std::runtime_error("README.md's sshd section shows no ```pam block");
    }
    const auto begin = open + 7;
    const auto close = readme.find("```", begin);
    std::vector<std::string> stack;
    for (const auto& line : lines_of(readme.substr(begin, close - begin))) {
        if (!fields_of(line).empty()) {
            stack.push_back(line);
        }
    }
    return stack;
}

// The lines of a service file that are not comments.
std::vector<std::string> active_lines(const std::string& text) {
    std::vector<std::string> active;
    for (const auto& line : lines_of(text)) {
        const auto fields = fields_of(line);
        if (!fields.empty() && fields.front()[0] != '#') {
            active.push_back(line);
        }
    }
    return active;
}

// The Auth: lines of a pam-auth-update profile (indented continuations).
std::vector<std::string> profile_auth_lines(const std::string& profile) {
    std::vector<std::string> auth;
    bool in_auth = false;
    for (const auto& line : lines_of(profile)) {
        if (!line.empty() && line[0] != ' ' && line[0] != '\t') {
            in_auth = line.rfind("Auth:", 0) == 0;
            continue;
        }
        if (in_auth && !fields_of(line).empty()) {
            auth.push_back("auth " + line);
        }
    }
    return auth;
}

// The line as an administrator writes it, with the module of this build
// and the test's configuration in place of the installed module's name.
std::string with_built_module(const std::string& line) {
    const std::string name = "pam_otpgate.so";
    const auto at = line.find(name);
    if (at == std::string::npos) {
        return line;
    }
    return line.substr(0, at) + OTPGATE_TEST_MODULE + " config=" + OTPGATE_TEST_CONFIG +
           " fail_delay_ms=0" + line.substr(at + name.size());
}

void write_service(const std::string& name, const std::vector<std::string>& auth_lines) {
    std::string text;
    for (const auto& line : auth_lines) {
        text += with_built_module(line) + "\n";
    }
    text += "account required pam_permit.so\n";
    write_file(std::filesystem::path(OTPGATE_TEST_PAM_SERVICE_DIR) / name, text, 0644);
}

class GuideStackTest : public PolicyTest {
protected:
    void SetUp() override {
        PolicyTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        write_groups({"admins:x:3000:bob"});
        m_alice = enroll("alice");
    }

    KnownEnrollment m_alice;
};

// --- the README's sshd stack (after the key) ---------------------------------

class GuideSshdStackTest : public GuideStackTest {
protected:
    void SetUp() override {
        GuideStackTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        const auto stack = readme_sshd_stack();
        ASSERT_FALSE(stack.empty());
        // What the README shows is what the package ships as the example.
        const auto example = active_lines(source_file("conf/pam.d/sshd"));
        ASSERT_EQ(example.size(), stack.size()) << "conf/pam.d/sshd";
        for (std::size_t i = 0; i < stack.size(); ++i) {
            EXPECT_EQ(fields_of(example[i]), fields_of(stack[i])) << "line " << i + 1;
        }
        write_service("guide-sshd", stack);
    }

    LoginResult sshd_login(const std::string& user, std::vector<std::string> answers,
                           const std::string& rhost = laptop) {
        return login_from(user, std::move(answers), rhost, "guide-sshd");
    }

    void expect_skipped(const LoginResult& result) {
        EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
        EXPECT_TRUE(result.prompts.empty()) << result.describe();
        EXPECT_TRUE(result.logged("result for user")) << result.describe();
        EXPECT_TRUE(result.logged(": not applicable")) << result.describe();
    }
};

TEST_F(GuideSshdStackTest, ARememberedHostPassesOnTheKey) {
    sandbox().write_config("remember_host = 3600");
    const auto first = sshd_login("alice", {code_at(m_alice)});
    ASSERT_EQ(first.auth_rc, PAM_SUCCESS) << first.describe();
    advance_steps(1);
    expect_skipped(sshd_login("alice", {}));
}

TEST_F(GuideSshdStackTest, AUserOutsideTheEnforcedGroupsPassesOnTheKey) {
    sandbox().write_config("enforce = groups\ngroups = admins");
    const auto result = sshd_login("carol", {});
    expect_skipped(result);
    EXPECT_TRUE(result.logged("user carol is not enrolled and outside enforce"))
        << result.describe();
}

TEST_F(GuideSshdStackTest, AnExemptNetworkPassesOnTheKey) {
    sandbox().write_config("exempt_networks = 198.51.100.0/24");
    expect_skipped(sshd_login("alice", {}));
}

TEST_F(GuideSshdStackTest, NullokLetsAUserWhoHasNotEnrolledPassOnTheKey) {
    sandbox().write_config("nullok = yes");
    expect_skipped(sshd_login("carol", {}));
}

TEST_F(GuideSshdStackTest, ARightCodePasses) {
    sandbox().write_config();
    const auto result = sshd_login("alice", {code_at(m_alice)});
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_EQ(result.prompts, std::vector<Prompt>{code_prompt}) << result.describe();
}

TEST_F(GuideSshdStackTest, AWrongCodeFails) {
    sandbox().write_config("enforce = groups\ngroups = admins\nremember_host = 3600");
    const std::string wrong = wrong_code(m_alice);
    const auto result = sshd_login("alice", {wrong, wrong, wrong});
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 3U) << result.describe();
}

TEST_F(GuideSshdStackTest, AMemberWhoHasNotEnrolledFails) {
    sandbox().write_config("enforce = groups\ngroups = admins");
    const auto result = sshd_login("bob", {"123456", "123456", "123456"});
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
}

// --- the pam-auth-update profile in Debian's common-auth ----------------------

class GuideProfileTest : public GuideStackTest {
protected:
    void SetUp() override {
        GuideStackTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        const auto profile = profile_auth_lines(source_file("conf/pam-configs/otpgate"));
        ASSERT_EQ(profile.size(), 1U) << "conf/pam-configs/otpgate";
        // common-auth as pam-auth-update writes it: the Primary block (pam_unix),
        // the fallback, the positive return value, then Additional profiles.
        std::vector<std::string> common_auth = {
            "auth [success=1 default=ignore] pam_unix.so nullok",
            "auth requisite pam_deny.so",
            "auth required pam_permit.so",
        };
        common_auth.insert(common_auth.end(), profile.begin(), profile.end());
        write_service("guide-common-auth", common_auth);
    }

    LoginResult unix_login(const std::string& user, std::vector<std::string> answers,
                           const std::string& rhost = laptop) {
        return login_from(user, std::move(answers), rhost, "guide-common-auth");
    }
};

TEST_F(GuideProfileTest, ARememberedHostPassesOnThePassword) {
    sandbox().write_config("remember_host = 3600");
    ASSERT_EQ(unix_login("alice", {password, code_at(m_alice)}).auth_rc, PAM_SUCCESS);
    advance_steps(1);
    const auto result = unix_login("alice", {password});
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_EQ(result.prompts, std::vector<Prompt>{password_prompt}) << result.describe();
    EXPECT_EQ(unix_login("alice", {"wrong horse"}).auth_rc, PAM_AUTH_ERR);
}

TEST_F(GuideProfileTest, AUserOutsideTheEnforcedGroupsPassesOnThePasswordOnly) {
    sandbox().write_config("enforce = groups\ngroups = admins");
    const auto result = unix_login("carol", {password});
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_EQ(result.prompts, std::vector<Prompt>{password_prompt}) << result.describe();
    const auto wrong = unix_login("carol", {"wrong horse"});
    EXPECT_EQ(wrong.auth_rc, PAM_AUTH_ERR) << wrong.describe();
    EXPECT_EQ(wrong.prompts, std::vector<Prompt>{password_prompt}) << wrong.describe();
}

TEST_F(GuideProfileTest, ARightCodeAfterThePasswordPasses) {
    sandbox().write_config();
    const auto result = unix_login("alice", {password, code_at(m_alice)});
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_EQ(result.prompts, (std::vector<Prompt>{password_prompt, code_prompt}))
        << result.describe();
}

TEST_F(GuideProfileTest, AWrongCodeAfterThePasswordFails) {
    sandbox().write_config("enforce = groups\ngroups = admins");
    const std::string wrong = wrong_code(m_alice);
    const auto result = unix_login("alice", {password, wrong, wrong, wrong});
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
}

}  // namespace
}  // namespace otpgate::pam_tests
