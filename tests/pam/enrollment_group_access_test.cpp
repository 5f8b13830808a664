// Enrollments are read with the user's own rights (privilege_drop.hpp):
// first with the primary group alone, which spares the group database at
// every login, and only when that is refused with all of the user's
// groups. A folder open to a supplementary group must still work, and a
// folder the user cannot open must still be refused. (With store = local,
// root reads its own files: nothing of this applies.)
#include <security/pam_appl.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "policy_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

constexpr gid_t vault_gid = 3100;

class EnrollmentGroupAccessTest : public PolicyTest {
protected:
    void SetUp() override {
        PolicyTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        OTPGATE_FILES_STORE_ONLY("the user's rights open the user's own file; root reads its own");
        write_groups({"vault:x:3100:bob"});
        m_vault = sandbox().root() / "vault";
        std::filesystem::create_directory(m_vault);
        ASSERT_EQ(::chown(m_vault.c_str(), 0, vault_gid), 0);
        ASSERT_EQ(::chmod(m_vault.c_str(), 0750), 0);
        sandbox().write_config("enrollment_path = " + (m_vault / "%u.otpgate").string());
    }

    // Enrolls the user (written to ~/.otpgate by the sandbox), then moves
    // the file, owner and mode unchanged, into the vault.
    KnownEnrollment enroll_in_vault(const std::string& user) {
        KnownEnrollment known = enroll(user);
        std::filesystem::rename(sandbox().enrollment_file(user), m_vault / (user + ".otpgate"));
        return known;
    }

    std::filesystem::path m_vault;
};

TEST_F(EnrollmentGroupAccessTest, ASupplementaryGroupOpensTheFolder) {
    const auto bob = enroll_in_vault("bob");
    const auto result = login_from("bob", {code_at(bob)}, "");
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_TRUE(result.logged("user bob authenticated with a TOTP code")) << result.describe();
}

TEST_F(EnrollmentGroupAccessTest, WithoutTheGroupTheFolderStaysShut) {
    const auto carol = enroll_in_vault("carol");
    const std::string code = code_at(carol);
    // Refused, yet asked like everyone (no oracle): three tries, all wrong.
    const auto result = login_from("carol", {code, code, code}, "");
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_TRUE(result.logged("vault/carol.otpgate: Permission denied")) << result.describe();
    EXPECT_TRUE(result.logged("refusing enrollment of user carol")) << result.describe();
}

}  // namespace
}  // namespace otpgate::pam_tests
