// FileSystemIdentity, exercised in child processes so that a failure can
// never leave the test process with another identity.
#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "otpgate/core/system/privilege_drop.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

uid_t current_fsuid() {
    return static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1)));
}

TEST(FileSystemIdentity, ActsWithTheUsersRightsAndRestores) {
    if (!test::running_as_root()) {
        GTEST_SKIP() << "needs root";
    }
    test::TempDir dir;  // root, 0700: the user cannot create files in it
    const UserAccount user{"otpgate-test", 4242, 4343, "/"};
    const auto file = dir / "probe";
    const int code = test::run_in_child([&]() -> int {
        {
            const FileSystemIdentity as_user(user);
            if (current_fsuid() != 4242) {
                return 1;
            }
            if (::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0) {
                return 2;  // root's rights leaked through
            }
        }
        if (current_fsuid() != 0) {
            return 3;
        }
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        return fd >= 0 ? 0 : 4;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(test::file_owner(file), 0u);
}

TEST(FileSystemIdentity, FilesAreCreatedAsTheUser) {
    if (!test::running_as_root()) {
        GTEST_SKIP() << "needs root";
    }
    test::TempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    const UserAccount user{"otpgate-test", 4242, 4343, "/"};
    const int code = test::run_in_child([&]() -> int {
        const FileSystemIdentity as_user(user);
        return ::open((dir / "made").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0 ? 0 : 1;
    });
    ASSERT_EQ(code, 0);
    struct stat info {};
    ASSERT_EQ(::stat((dir / "made").c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, 4242u);
    EXPECT_EQ(info.st_gid, 4343u);
}

TEST(FileSystemIdentity, RootAccountChangesNothing) {
    const UserAccount root{"root", 0, 0, "/root"};
    const uid_t before = current_fsuid();
    {
        const FileSystemIdentity as_root(root);
        EXPECT_EQ(current_fsuid(), before);
    }
    EXPECT_EQ(current_fsuid(), before);
}

}  // namespace
}  // namespace otpgate::core
