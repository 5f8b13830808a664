// The root-owned state that makes codes single-use: when it cannot be
// trusted, read or written, a valid code is refused.
#include <fcntl.h>
#include <security/pam_appl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "otpgate/core/state/replay_fence.hpp"
#include "otpgate/core/state/state_store.hpp"
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
    [[nodiscard]] std::filesystem::path fence() {
        return sandbox().state_dir() / core::replay_fence_file_name;
    }

    // The newest valid record of the replay fence.
    core::ReplayFenceRecord fence_record() {
        const auto decoded = core::decode_replay_fence_file(read_file(fence()));
        EXPECT_TRUE(decoded.has_value());
        return decoded ? decoded->record : core::ReplayFenceRecord{};
    }

    // What the next boot finds: the fence as flushed, under another boot id.
    void pretend_restart() {
        core::ReplayFenceRecord record = fence_record();
        record.boot_id = "00000000-0000-4000-8000-000000000000";
        std::string bytes(core::replay_fence_file_size, '\0');
        ASSERT_TRUE(core::encode_replay_fence_slot(record, 99,
                                                   reinterpret_cast<std::uint8_t*>(bytes.data())));
        write_file(fence(), bytes, 0600);
    }
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
    expect_fails_closed(login_with_fresh_code(),
                        "has 100 bytes, expected " + std::to_string(core::state_file_size));
}

TEST_F(StateTest, EmptyFileFailsClosed) {
    std::filesystem::resize_file(file(), 0);
    expect_fails_closed(login_with_fresh_code(),
                        "has 0 bytes, expected " + std::to_string(core::state_file_size));
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
    OTPGATE_FILES_STORE_ONLY("with store = local the enrollments go with the directory");
    std::filesystem::remove_all(sandbox().state_dir());
    const auto result = login_with_fresh_code();
    EXPECT_EQ(result.auth_rc, PAM_SUCCESS) << result.describe();
    struct stat info {};
    ASSERT_EQ(lstat(sandbox().state_dir().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0700U);
    EXPECT_EQ(info.st_uid, 0U);
}

// Root's enrollments live in the state directory: without it, alice is
// not enrolled (asked, and refused), whatever her code.
TEST_F(StateTest, MissingDirectoryLeavesNoLocalEnrollment) {
    OTPGATE_LOCAL_STORE_ONLY("the enrollments in the state directory");
    std::filesystem::remove_all(sandbox().state_dir());
    const auto result = login_with_fresh_code();
    EXPECT_EQ(result.auth_rc, PAM_AUTH_ERR) << result.describe();
    EXPECT_EQ(result.prompt_count(), 3U) << result.describe();
    EXPECT_TRUE(result.logged("user alice is not enrolled")) << result.describe();
}

TEST_F(StateTest, FenceCoversEachAcceptedStepOfThisBoot) {
    ASSERT_EQ(login_with_fresh_code().auth_rc, PAM_SUCCESS);
    const auto boot_id = core::current_boot_id();
    ASSERT_TRUE(boot_id) << boot_id.error().message;
    const auto record = fence_record();
    EXPECT_EQ(record.boot_id, *boot_id);
    EXPECT_EQ(record.newest_start, sandbox().time() / 30 * 30);
    EXPECT_EQ(record.refused_through, core::no_fence_time);
    struct stat info {};
    ASSERT_EQ(lstat(fence().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0600U);
    EXPECT_EQ(info.st_uid, 0U);
}

// A crash before writeback loses the user's unflushed record of the step;
// the fence, flushed before the login succeeded, refuses the code after the
// restart, and the next step's code works.
TEST_F(StateTest, StepLostInACrashIsRefusedAfterTheRestart) {
    const std::string before_login = read_file(file());
    const std::string code = code_at(alice());
    const auto first = login("alice", {code});
    ASSERT_EQ(first.auth_rc, PAM_SUCCESS) << first.describe();
    write_file(file(), before_login, 0600);
    pretend_restart();
    const auto replay = login("alice", {code, code, code});
    EXPECT_EQ(replay.auth_rc, PAM_AUTH_ERR) << replay.describe();
    EXPECT_TRUE(replay.logged("code of user alice refused: the host restarted"))
        << replay.describe();
    EXPECT_FALSE(replay.logged("authenticated")) << replay.describe();
    advance_steps(1);
    const auto next = login("alice", {code_at(alice())});
    EXPECT_EQ(next.auth_rc, PAM_SUCCESS) << next.describe();
    EXPECT_EQ(fence_record().refused_through, (sandbox().time() / 30 - 1) * 30);
}

TEST_F(StateTest, DamagedFenceRefusesTheWindowThenHeals) {
    write_file(fence(), std::string(core::replay_fence_file_size, 'x'), 0600);
    const auto refused = login_with_fresh_code();
    EXPECT_EQ(refused.auth_rc, PAM_AUTH_ERR) << refused.describe();
    EXPECT_TRUE(refused.logged("refused: the replay fence in " + sandbox().state_dir().string() +
                               " was damaged"))
        << refused.describe();
    advance_steps(2);  // past the window (±1 step) of the refused login
    const auto next = login("alice", {code_at(alice())});
    EXPECT_EQ(next.auth_rc, PAM_SUCCESS) << next.describe();
}

TEST_F(StateTest, UnsafeFenceFailsClosed) {
    const TestUser& user = sandbox().user("alice");
    change_owner(fence(), user.uid, user.gid);
    expect_fails_closed(login_with_fresh_code(),
                        "refusing a valid code of user alice: replay fence " + fence().string() +
                            ": must be a regular file with one link");
}

}  // namespace
}  // namespace otpgate::pam_tests
