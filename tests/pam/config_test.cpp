// A configuration the module cannot trust stops it before it asks anything.
#include <security/pam_appl.h>
#include <sys/stat.h>

#include "pam_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

class ConfigTest : public PamTest {
protected:
    void expect_service_error(const LoginResult& result, const std::string& reason) {
        EXPECT_EQ(result.auth_rc, PAM_SERVICE_ERR) << result.describe();
        EXPECT_TRUE(result.prompts.empty()) << result.describe();
        EXPECT_TRUE(result.logged(reason)) << "expected: " << reason << "\n" << result.describe();
        EXPECT_TRUE(result.logged("configuration errors; refusing to authenticate"))
            << result.describe();
    }

    LoginResult login_alice(const std::string& service = "otpgate") {
        const auto alice = enroll("alice");
        return login("alice", {code_at(alice)}, service);
    }
};

TEST_F(ConfigTest, MissingExplicitConfigFile) {
    const auto missing = test_config_path().parent_path() / "missing.conf";
    expect_service_error(login_alice("otpgate-missing-config"),
                         "config file " + missing.string() + " does not exist");
}

TEST_F(ConfigTest, RelativeConfigPath) {
    expect_service_error(login_alice("otpgate-relative-config"),
                         "config=otpgate.conf: expected an absolute path");
}

TEST_F(ConfigTest, BadValueInTheFile) {
    sandbox().write_config("max_attempts = lots");
    // Line 1 is a comment, 2 the state directory, 3 debug, 4 the backup
    // code count, 5 the store.
    expect_service_error(login_alice(), test_config_path().string() +
                                            ":6: bad value for max_attempts: expected a whole "
                                            "number from 1 to 10");
}

TEST_F(ConfigTest, OutOfRangeValueInTheFile) {
    sandbox().write_config("totp_window = 11");
    expect_service_error(login_alice(), ":6: bad value for totp_window");
}

TEST_F(ConfigTest, LineWithoutValue) {
    sandbox().write_config("nullok");
    expect_service_error(login_alice(), ":6: expected 'key = value'");
}

TEST_F(ConfigTest, BadValueAsModuleArgument) {
    expect_service_error(login_alice("otpgate-bad-arg"),
                         "module argument: bad value for totp_window");
}

TEST_F(ConfigTest, RelativeStateDirectory) {
    sandbox().write_config("state_dir = state");
    expect_service_error(login_alice(), "bad value for state_dir: expected an absolute path");
}

TEST_F(ConfigTest, ConfigFileWritableByOthers) {
    ASSERT_EQ(chmod(test_config_path().c_str(), 0666), 0);
    expect_service_error(login_alice(), "has unsafe permissions 0666");
}

TEST_F(ConfigTest, ConfigFileOwnedByAUser) {
    const TestUser& bob = sandbox().user("bob");
    change_owner(test_config_path(), bob.uid, bob.gid);
    expect_service_error(login_alice(), "is owned by uid " + std::to_string(bob.uid));
}

TEST_F(ConfigTest, UnknownKeyIsOnlyAWarning) {
    sandbox().write_config("colour = blue");
    const auto result = login_alice();
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    EXPECT_TRUE(result.logged(":6: unknown key 'colour' ignored")) << result.describe();
}

}  // namespace
}  // namespace otpgate::pam_tests
