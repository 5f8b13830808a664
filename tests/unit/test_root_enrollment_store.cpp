// store = local: the enrollments root keeps, checked where a user or a
// stale account could get at them.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "otpgate/core/enrollment/root_enrollment_store.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

namespace fs = std::filesystem;

class RootEnrollmentStoreTest : public ::testing::Test {
protected:
    test::TempDir dir;
    RootEnrollmentStore store{dir.path()};
    UserAccount account = test::running_account();
    OpenSslRandom random;

    [[nodiscard]] Enrollment new_totp() {
        return make_totp_enrollment(test::login_config_in(dir), random, 1'700'000'000).enrollment;
    }
    [[nodiscard]] fs::path file() const { return dir / ".enrollments" / account.name; }
};

TEST_F(RootEnrollmentStoreTest, SavesAFileOnlyItsOwnerMayReadInAFolderOnlyItsOwnerMayEnter) {
    const Enrollment enrollment = new_totp();
    ASSERT_TRUE(store.save(account, enrollment).ok());
    EXPECT_EQ(test::file_mode(dir / ".enrollments"), 0700U);
    EXPECT_EQ(test::file_mode(file()), 0600U);
    EXPECT_EQ(test::file_owner(file()), geteuid());
    const auto loaded = store.load(account);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->id, enrollment.id);
    EXPECT_EQ(loaded->totp_secret, enrollment.totp_secret);
    EXPECT_EQ(test::list_directory(dir / ".enrollments"), std::vector<std::string>{account.name});
    const auto names = store.user_names();
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, std::vector<std::string>{account.name});
}

TEST_F(RootEnrollmentStoreTest, AFileOfAnotherUidIsNoEnrollmentForTheAccountNowHoldingTheName) {
    ASSERT_TRUE(store.save(account, new_totp()).ok());
    UserAccount successor = account;
    successor.uid = account.uid + 4242;
    const auto loaded = store.load(successor);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::not_found);
    EXPECT_NE(loaded.error().message.find("belongs to uid"), std::string::npos);
}

TEST_F(RootEnrollmentStoreTest, NothingSavedIsNotFoundAndRemovingItIsNotFound) {
    EXPECT_EQ(store.load(account).error().kind, ErrorKind::not_found);
    EXPECT_EQ(store.remove(account).error().kind, ErrorKind::not_found);
    ASSERT_TRUE(store.save(account, new_totp()).ok());
    ASSERT_TRUE(store.remove(account).ok());
    EXPECT_EQ(store.load(account).error().kind, ErrorKind::not_found);
}

TEST_F(RootEnrollmentStoreTest, ASymlinkInPlaceOfTheFileOrTheFolderIsRefused) {
    ASSERT_TRUE(store.save(account, new_totp()).ok());
    fs::rename(file(), dir / "elsewhere");
    fs::create_symlink(dir / "elsewhere", file());
    EXPECT_EQ(store.load(account).error().kind, ErrorKind::unsafe);

    fs::remove(file());
    fs::rename(dir / ".enrollments", dir / "real");
    fs::create_directory_symlink(dir / "real", dir / ".enrollments");
    EXPECT_EQ(store.load(account).error().kind, ErrorKind::unsafe);
    EXPECT_EQ(store.save(account, new_totp()).error().kind, ErrorKind::unsafe);
}

TEST_F(RootEnrollmentStoreTest, AFolderOrFileOthersMayReadIsRefused) {
    ASSERT_TRUE(store.save(account, new_totp()).ok());
    ASSERT_EQ(::chmod(file().c_str(), 0640), 0);
    EXPECT_EQ(store.load(account).error().kind, ErrorKind::unsafe);
    ASSERT_EQ(::chmod(file().c_str(), 0600), 0);
    ASSERT_EQ(::chmod((dir / ".enrollments").c_str(), 0755), 0);
    EXPECT_EQ(store.load(account).error().kind, ErrorKind::unsafe);
    EXPECT_EQ(store.save(account, new_totp()).error().kind, ErrorKind::unsafe);
}

TEST_F(RootEnrollmentStoreTest, AFileWithoutItsOwnerLineIsCorruptNotSomeoneElses) {
    ASSERT_TRUE(store.save(account, new_totp()).ok());
    {
        std::ofstream out(file(), std::ios::trunc);
        out << "version = 1\n";
    }
    EXPECT_EQ(store.load(account).error().kind, ErrorKind::corrupt);
}

// State files are named after users, in the same directory: the folder's
// name is one no user can have.
TEST_F(RootEnrollmentStoreTest, AUserNamedEnrollmentsHasAStateFileAndAnEnrollment) {
    Config config = test::login_config_in(dir);
    config.store = StoreKind::local;
    CapturingLogger logger;
    auto storage = open_storage(config, logger);
    ASSERT_TRUE(storage.ok());
    UserAccount named = account;
    named.name = "enrollments";
    const Enrollment enrollment = new_totp();
    ASSERT_TRUE((*storage)->save_enrollment(named, enrollment).ok());
    auto transaction = (*storage)->begin(named.name, named.uid);
    ASSERT_TRUE(transaction.ok()) << transaction.error().message;
    (*transaction)->state().last_totp_step = 42;
    ASSERT_TRUE((*transaction)->commit().ok());
    transaction->reset();
    const auto loaded = (*storage)->load_enrollment(named);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->id, enrollment.id);
    const auto state = (*storage)->read_state(named.name);
    ASSERT_TRUE(state.ok() && state->has_value());
    EXPECT_EQ((*state)->last_totp_step, 42);
}

TEST_F(RootEnrollmentStoreTest, AnUnusableUserNameIsRefusedBeforeAnyPathIsMade) {
    UserAccount odd = account;
    odd.name = "../escape";
    EXPECT_FALSE(store.save(odd, new_totp()).ok());
    EXPECT_FALSE(fs::exists(dir / "escape"));
}

}  // namespace
}  // namespace otpgate::core
