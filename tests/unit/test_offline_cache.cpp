// store_offline = cache, without a database: the sealed copy (bound to
// user, host and key; root's file, never through a link) and the merge of
// an offline state into the shared one.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "storage/offline_cache.hpp"
#include "storage/offline_state.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

namespace fs = std::filesystem;

class OfflineCacheTest : public ::testing::Test {
protected:
    test::TempDir dir;
    OfflineCache cache{dir.path(), "host-a", std::chrono::milliseconds(1000)};
    OpenSslRandom random;
    SecretBytes key = random_bytes(random, 32);

    [[nodiscard]] CachedLogin login() {
        CachedLogin login;
        login.uid = 1234;
        login.online_at = 1'700'000'100;
        login.enrollment =
            make_totp_enrollment(test::login_config_in(dir), random, 1'700'000'000).enrollment;
        login.state_enrollment_id = login.enrollment.id;
        login.last_totp_step = 56'666'670;
        login.backup_used_mask = 0b101;
        return login;
    }
    [[nodiscard]] fs::path file(const std::string& user) const {
        return dir / ".store-cache" / user;
    }
    [[nodiscard]] std::string content(const std::string& user) const {
        std::ifstream in(file(user), std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
};

TEST_F(OfflineCacheTest, KeepsEverythingSealedInAPrivateFile) {
    const CachedLogin saved = login();
    ASSERT_TRUE(cache.save(key, "alice", saved).ok());
    EXPECT_EQ(test::file_mode(dir / ".store-cache"), 0700U);
    EXPECT_EQ(test::file_mode(file("alice")), 0600U);
    const auto loaded = cache.load(key, "alice");
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->uid, saved.uid);
    EXPECT_EQ(loaded->online_at, saved.online_at);
    EXPECT_EQ(loaded->enrollment.id, saved.enrollment.id);
    EXPECT_EQ(loaded->enrollment.totp_secret, saved.enrollment.totp_secret);
    EXPECT_EQ(loaded->state_enrollment_id, saved.state_enrollment_id);
    EXPECT_EQ(loaded->last_totp_step, saved.last_totp_step);
    EXPECT_EQ(loaded->backup_used_mask, saved.backup_used_mask);
    const std::string bytes = content("alice");
    EXPECT_EQ(bytes.find(saved.enrollment.id), std::string::npos);
    EXPECT_EQ(bytes.find("otpgate"), std::string::npos);
}

TEST_F(OfflineCacheTest, OpensOnlyForItsUserHostAndKey) {
    ASSERT_TRUE(cache.save(key, "alice", login()).ok());
    fs::copy_file(file("alice"), file("bob"));
    EXPECT_EQ(cache.load(key, "bob").error().kind, ErrorKind::corrupt);
    const OfflineCache other_host{dir.path(), "host-b", std::chrono::milliseconds(1000)};
    EXPECT_EQ(other_host.load(key, "alice").error().kind, ErrorKind::corrupt);
    const SecretBytes other_key = random_bytes(random, 32);
    EXPECT_EQ(cache.load(other_key, "alice").error().kind, ErrorKind::corrupt);
    EXPECT_TRUE(cache.load(key, "alice").ok());
}

TEST_F(OfflineCacheTest, RefusesALinkAndReplacesItWithoutWritingThrough) {
    ASSERT_TRUE(cache.save(key, "alice", login()).ok());
    fs::rename(file("alice"), dir / "elsewhere");
    fs::create_symlink(dir / "elsewhere", file("alice"));
    EXPECT_EQ(cache.load(key, "alice").error().kind, ErrorKind::unsafe);
    ASSERT_TRUE(cache.save(key, "alice", login()).ok());
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(file("alice"))));
    EXPECT_TRUE(cache.load(key, "alice").ok());
}

TEST_F(OfflineCacheTest, RefusesAFolderThatIsALinkOrOpenToOthers) {
    fs::create_directory(dir / "real");
    fs::permissions(dir / "real", fs::perms::owner_all);
    fs::create_directory_symlink(dir / "real", dir / ".store-cache");
    EXPECT_EQ(cache.save(key, "alice", login()).error().kind, ErrorKind::unsafe);
    fs::remove(dir / ".store-cache");
    ASSERT_TRUE(cache.save(key, "alice", login()).ok());
    fs::permissions(dir / ".store-cache", fs::perms::others_read, fs::perm_options::add);
    EXPECT_EQ(cache.load(key, "alice").error().kind, ErrorKind::unsafe);
}

TEST_F(OfflineCacheTest, RemovesACopyAndSaysWhenThereIsNone) {
    EXPECT_EQ(cache.load(key, "alice").error().kind, ErrorKind::not_found);
    ASSERT_TRUE(cache.save(key, "alice", login()).ok());
    EXPECT_TRUE(cache.remove("alice").ok());
    EXPECT_EQ(cache.remove("alice").error().kind, ErrorKind::not_found);
    EXPECT_EQ(cache.load(key, "alice").error().kind, ErrorKind::not_found);
}

TEST(OfflineStateMerge, KeepsTheLaterStepTheUnionOfCodesAndFailuresSinceTheLastSuccess) {
    UserState stored;
    stored.enrollment_id = "e1";
    stored.last_totp_step = 100;
    stored.backup_used_mask = 0b001;
    stored.last_success = 1000;
    stored.recent_failures = {900, 1100};
    stored.verified_destination = "kept";
    UserState offline;
    offline.enrollment_id = "e1";
    offline.last_totp_step = 102;
    offline.backup_used_mask = 0b100;
    offline.last_success = 1050;
    offline.recent_failures = {1050, 1200};  // one in the second of the success
    offline.locked_at = 1300;
    const UserState merged = merge_offline_state(stored, offline);
    EXPECT_EQ(merged.last_totp_step, 102);
    EXPECT_EQ(merged.backup_used_mask, 0b101U);
    EXPECT_EQ(merged.last_success, 1050);
    EXPECT_EQ(merged.recent_failures, (std::vector<std::int64_t>{1050, 1100, 1200}));
    EXPECT_EQ(merged.locked_at, 1300);
    EXPECT_EQ(merged.verified_destination, "kept");
    // Twice: nothing more.
    const UserState again = merge_offline_state(merged, offline);
    EXPECT_EQ(again.recent_failures, merged.recent_failures);
    EXPECT_EQ(again.backup_used_mask, merged.backup_used_mask);
}

TEST(OfflineStateMerge, NeverLowersAStepAndIgnoresBackupCodesOfAnotherEnrollment) {
    UserState stored;
    stored.enrollment_id = "new";
    stored.last_totp_step = 200;
    UserState offline;
    offline.enrollment_id = "old";
    offline.last_totp_step = 150;
    offline.backup_used_mask = 0b11;
    offline.recent_failures.assign(40, 0);
    for (std::size_t i = 0; i < offline.recent_failures.size(); ++i) {
        offline.recent_failures[i] = static_cast<std::int64_t>(i + 1);
    }
    const UserState merged = merge_offline_state(stored, offline);
    EXPECT_EQ(merged.last_totp_step, 200);
    EXPECT_EQ(merged.enrollment_id, "new");
    EXPECT_EQ(merged.backup_used_mask, 0U);
    ASSERT_EQ(merged.recent_failures.size(), max_recorded_failures);
    EXPECT_EQ(merged.recent_failures.back(), 40);
}

}  // namespace
}  // namespace otpgate::core
