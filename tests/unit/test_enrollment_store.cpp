// EnrollmentStore on real files in a temporary directory.
#include <csignal>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "otpgate/core/enrollment/enrollment_store.hpp"
#include "otpgate/core/system/user_account.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

Enrollment sample(std::string id = "0123456789abcdef0123456789abcdef") {
    Enrollment e;
    e.id = std::move(id);
    e.created = 1700000000;
    e.totp_secret = test::bytes_of("12345678901234567890");
    e.backup.salt_hex = "00112233445566778899aabbccddeeff";
    e.backup.iterations = 1000;
    e.backup.hashes_hex = {std::string(64, 'a')};
    return e;
}

class EnrollmentStoreAsRoot : public ::testing::Test {
protected:
    test::TempDir dir;
    UserAccount root;
    std::filesystem::path file;

    void SetUp() override {
        if (!test::running_as_root()) {
            GTEST_SKIP() << "the store checks owners against the account: runs as root";
        }
        auto account = lookup_user(uid_t{0});
        ASSERT_TRUE(account.ok()) << account.error().message;
        root = *account;
        file = dir / (root.name + ".otpgate");
    }
    EnrollmentStore store() const { return EnrollmentStore((dir.path() / "%u.otpgate").string()); }
};

TEST_F(EnrollmentStoreAsRoot, SaveAndLoad) {
    ASSERT_TRUE(store().save(root, sample()).ok());
    EXPECT_EQ(test::file_mode(file), 0600u);
    EXPECT_EQ(test::file_owner(file), 0u);
    const auto loaded = store().load(root);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->id, sample().id);
    EXPECT_EQ(loaded->totp_secret, sample().totp_secret);
    EXPECT_EQ(*store().path_of(root), file);
}

TEST_F(EnrollmentStoreAsRoot, ModeIsSixHundredWhateverTheUmask) {
    const mode_t old_umask = ::umask(0);
    const auto saved = store().save(root, sample());
    ::umask(old_umask);
    ASSERT_TRUE(saved.ok());
    EXPECT_EQ(test::file_mode(file), 0600u);
}

TEST_F(EnrollmentStoreAsRoot, ReplaceIsAtomicAndLeavesNoTemporaryFiles) {
    ASSERT_TRUE(store().save(root, sample("11111111111111111111111111111111")).ok());
    ASSERT_TRUE(store().save(root, sample("22222222222222222222222222222222")).ok());
    const auto loaded = store().load(root);
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->id, "22222222222222222222222222222222");
    EXPECT_EQ(test::list_directory(dir.path()), std::vector<std::string>{file.filename().string()});
}

TEST_F(EnrollmentStoreAsRoot, MissingIsNotFound) {
    const auto loaded = store().load(root);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::not_found);
}

TEST_F(EnrollmentStoreAsRoot, SymlinkIsRefused) {
    const auto real = dir / "real";
    ASSERT_TRUE(EnrollmentStore(real.string()).save(root, sample()).ok());
    std::filesystem::create_symlink(real, file);
    const auto loaded = store().load(root);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unsafe);
}

TEST_F(EnrollmentStoreAsRoot, FifoIsRefusedWithoutHanging) {
    ASSERT_EQ(::mkfifo(file.c_str(), 0600), 0);
    // In a child with an alarm, so that a blocking open fails the test
    // quickly instead of hanging it.
    const int code = test::run_in_child([&] {
        ::alarm(10);
        const auto loaded = store().load(root);
        return !loaded.ok() && loaded.error().kind == ErrorKind::unsafe ? 0 : 1;
    });
    EXPECT_EQ(code, 0);
}

TEST_F(EnrollmentStoreAsRoot, DirectoryIsRefused) {
    std::filesystem::create_directory(file);
    const auto loaded = store().load(root);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unsafe);
}

TEST_F(EnrollmentStoreAsRoot, GroupOrOtherAccessIsRefused) {
    ASSERT_TRUE(store().save(root, sample()).ok());
    for (const mode_t mode :
         {mode_t{0644}, mode_t{0660}, mode_t{0640}, mode_t{0604}, mode_t{0601}}) {
        SCOPED_TRACE(mode);
        ASSERT_EQ(::chmod(file.c_str(), mode), 0);
        const auto loaded = store().load(root);
        ASSERT_FALSE(loaded.ok());
        EXPECT_EQ(loaded.error().kind, ErrorKind::unsafe);
    }
    ASSERT_EQ(::chmod(file.c_str(), 0400), 0);
    EXPECT_TRUE(store().load(root).ok());
}

TEST_F(EnrollmentStoreAsRoot, WrongOwnerIsRefused) {
    ASSERT_TRUE(store().save(root, sample()).ok());
    ASSERT_EQ(::chown(file.c_str(), 4242, 4242), 0);
    const auto loaded = store().load(root);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unsafe);
    EXPECT_NE(loaded.error().message.find("4242"), std::string::npos);
}

TEST_F(EnrollmentStoreAsRoot, CorruptContentNamesTheFile) {
    test::write_file(file, "version = 1\n", 0600);
    const auto loaded = store().load(root);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::corrupt);
    EXPECT_NE(loaded.error().message.find(file.string()), std::string::npos);
}

TEST_F(EnrollmentStoreAsRoot, Remove) {
    ASSERT_TRUE(store().save(root, sample()).ok());
    ASSERT_TRUE(store().remove(root).ok());
    EXPECT_FALSE(std::filesystem::exists(file));
    const auto again = store().remove(root);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, ErrorKind::not_found);
}

TEST_F(EnrollmentStoreAsRoot, BadTemplateIsInvalidInput) {
    const auto loaded = EnrollmentStore("relative/%u").load(root);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::invalid_input);
}

// A real unprivileged account: the store must act with its rights.
class EnrollmentStoreAsUser : public ::testing::Test {
protected:
    test::TempDir dir;
    UserAccount user;
    std::filesystem::path home;
    std::filesystem::path file;

    void SetUp() override {
        if (!test::running_as_root()) {
            GTEST_SKIP() << "switching file-system identity needs root";
        }
        auto account = lookup_user("nobody");
        if (!account.ok() || account->uid == 0) {
            GTEST_SKIP() << "no 'nobody' account";
        }
        user = *account;
        // The user may pass through the temporary directory, and owns one
        // folder inside it.
        ASSERT_EQ(::chmod(dir.path().c_str(), 0711), 0);
        home = dir / user.name;
        std::filesystem::create_directory(home);
        ASSERT_EQ(::chown(home.c_str(), user.uid, user.gid), 0);
        ASSERT_EQ(::chmod(home.c_str(), 0700), 0);
        file = home / "enrollment";
    }
    EnrollmentStore store() const {
        return EnrollmentStore((dir.path() / "%u" / "enrollment").string());
    }
};

TEST_F(EnrollmentStoreAsUser, SaveAndLoadAsTheUser) {
    ASSERT_TRUE(store().save(user, sample()).ok());
    EXPECT_EQ(test::file_owner(file), user.uid);
    EXPECT_EQ(test::file_mode(file), 0600u);
    const auto loaded = store().load(user);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->id, sample().id);
    EXPECT_EQ(test::list_directory(home), std::vector<std::string>{"enrollment"});
    // The process got its own identity back.
    test::write_file(dir / "root-again", "x", 0600);
    EXPECT_EQ(test::file_owner(dir / "root-again"), 0u);
}

TEST_F(EnrollmentStoreAsUser, RootOwnedFileIsRefused) {
    // World-readable so that the user can open it and the owner check is
    // what refuses it.
    test::write_file(file, test::text_of(serialize_enrollment(sample())), 0644);
    const auto loaded = store().load(user);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unsafe);
    EXPECT_NE(loaded.error().message.find("owned by uid 0"), std::string::npos)
        << loaded.error().message;
}

TEST_F(EnrollmentStoreAsUser, HardLinkToARootFileIsNotRead) {
    // A root-only file the user must never get at, hard-linked into the
    // user's folder (as root could; the kernel's protected_hardlinks would
    // stop the user). Opening with the user's rights fails outright.
    const auto secret = dir / "root-secret";
    test::write_file(secret, test::text_of(serialize_enrollment(sample())), 0600);
    ASSERT_EQ(::link(secret.c_str(), file.c_str()), 0);
    const auto loaded = store().load(user);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().kind, ErrorKind::unavailable) << loaded.error().message;
}

TEST_F(EnrollmentStoreAsUser, CannotWriteWhereTheUserCannot) {
    const EnrollmentStore elsewhere((dir.path() / "root-only-%u").string());
    const auto saved = elsewhere.save(user, sample());
    ASSERT_FALSE(saved.ok());
    EXPECT_FALSE(std::filesystem::exists(dir / ("root-only-" + user.name)));
}

}  // namespace
}  // namespace otpgate::core
