// The root-owned state that makes codes single-use: when it cannot be
// trusted, read or written, a valid code is refused.
#include <fcntl.h>
#include <security/pam_appl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "otpgate/core/state_store.hpp"
#include "pam_fixture.hpp"

namespace otpgate::pam_tests {
namespace {

class StateTest : public PamTest {
  protected:
    void SetUp() override {
        PamTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        m_alice = enroll("alice");
        // A first login creates the state file; later tests damage it.
        const auto first = login("alice", {code_at(m_alice)});
        ASSERT_EQ(first.auth_rc, PAM_SUCCESS) << first.describe();
        advance_steps(1);
        m_file = sandbox().state_file("alice");
    }

    LoginResult login_with_fresh_code() {
        const std::string code = code_at(m_alice);
        return login("alice", {code, code, code});
    }

    // Fails closed at the first code: no second prompt, no success.
    void expect_fails_closed(const LoginResult& result, const std::string& reason) {
        EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
        EXPECT_EQ(result.prompt_count(), 1U) << result.describe();
        EXPECT_TRUE(result.logged(reason)) << "expected: " << reason << "\n" << result.describe();
        EXPECT_FALSE(result.logged("authenticated")) << result.describe();
    }

    [[nodiscard]] const std::filesystem::path& file() const { return m_file; }
    [[nodiscard]] const KnownEnrollment& alice() const { return m_alice; }

  private:
    KnownEnrollment m_alice;
    std::filesystem::path m_file;
};

TEST_F(StateTest, RecordsTheLastUsedStep) {
    const auto result = login_with_fresh_code();
    ASSERT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    auto locked = core::StateStore(sandbox().state_dir()).lock("alice");
    ASSERT_TRUE(locked) << locked.error().message;
    EXPECT_EQ(locked->state().last_totp_step, sandbox().time() / 30);
    EXPECT_EQ(locked->state().enrollment_id, alice().enrollment.id);
}

TEST_F(StateTest, CorruptFileFailsClosed) {
    write_file(file(), std::string(core::state_file_size, 'x'), 0600);
    expect_fails_closed(
        login_with_fresh_code(),
        "cannot check the code of user alice: state file " + file().string() + ": no valid record");
}

TEST_F(StateTest, TruncatedFileFailsClosed) {
    std::filesystem::resize_file(file(), 100);
    expect_fails_closed(login_with_fresh_code(), "has 100 bytes, expected " + std::to_string(core::state_file_size));
}

TEST_F(StateTest, EmptyFileFailsClosed) {
    std::filesystem::resize_file(file(), 0);
    expect_fails_closed(login_with_fresh_code(), "has 0 bytes, expected " + std::to_string(core::state_file_size));
}

TEST_F(StateTest, UnwritableFileFailsClosed) {
    // RLIMIT_FSIZE 0 makes every write of the login fail with EFBIG.
    const std::string code = code_at(alice());
    LoginRequest request;
    request.user = "alice";
    request.answers = {code, code, code};
    request.file_size_limit = 0;
    expect_fails_closed(login(request),
                        "refusing a valid code of user alice because it cannot be recorded");
    // Nothing was recorded, and nothing was granted: the code is still unused.
    const auto retry = login("alice", {code});
    EXPECT_EQ(retry.auth_rc, PAM_SUCCESS) << retry.describe();
    const auto replay = login("alice", {code, code, code});
    EXPECT_EQ(replay.auth_rc, PAM_AUTH_ERR) << replay.describe();
}

TEST_F(StateTest, UncreatableFileFailsClosed) {
    std::filesystem::remove(file());
    LoginRequest request;
    request.user = "alice";
    request.answers = {code_at(alice())};
    request.file_size_limit = 0;
    expect_fails_closed(login(request), "cannot check the code of user alice: state file");
}

TEST_F(StateTest, ReadableByOthersFailsClosed) {
    ASSERT_EQ(chmod(file().c_str(), 0644), 0);
    expect_fails_closed(login_with_fresh_code(), "must be a regular file with one link");
}

TEST_F(StateTest, OwnedByTheUserFailsClosed) {
    const TestUser& user = sandbox().user("alice");
    change_owner(file(), user.uid, user.gid);
    expect_fails_closed(login_with_fresh_code(), "must be a regular file with one link");
}

TEST_F(StateTest, HardLinkedFailsClosed) {
    std::filesystem::create_hard_link(file(), sandbox().root() / "second-name");
    expect_fails_closed(login_with_fresh_code(), "must be a regular file with one link");
}

TEST_F(StateTest, SymlinkFailsClosed) {
    const auto target = sandbox().root() / "real-state";
    std::filesystem::rename(file(), target);
    std::filesystem::create_symlink(target, file());
    expect_fails_closed(login_with_fresh_code(), "is a symbolic link");
}

TEST_F(StateTest, GroupWritableDirectoryFailsClosed) {
    ASSERT_EQ(chmod(sandbox().state_dir().c_str(), 0770), 0);
    expect_fails_closed(
        login_with_fresh_code(),
        "state directory " + sandbox().state_dir().string() + " must be owned by uid 0");
}

TEST_F(StateTest, DirectoryOwnedByAUserFailsClosed) {
    const TestUser& user = sandbox().user("alice");
    change_owner(sandbox().state_dir(), user.uid, user.gid);
    expect_fails_closed(login_with_fresh_code(), "must be owned by uid 0");
}

TEST_F(StateTest, MissingDirectoryIsCreatedPrivate) {
    std::filesystem::remove_all(sandbox().state_dir());
    const auto result = login_with_fresh_code();
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    struct stat info {};
    ASSERT_EQ(lstat(sandbox().state_dir().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0700U);
    EXPECT_EQ(info.st_uid, 0U);
}

}  // namespace
}  // namespace otpgate::pam_tests
