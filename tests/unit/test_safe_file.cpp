// open_checked, read_checked, replace_file_atomically, remove_file_locked,
// create_file_by_link.
#include <cerrno>
#include <csignal>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "fs_faults.hpp"
#include "otpgate/core/system/safe_file.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

class SafeFile : public ::testing::Test {
protected:
    test::TempDir dir;
    FileRules rules;  // owner 0 (root), no group/other write, 64 KiB

    void SetUp() override { rules.owner = ::geteuid(); }
};

// O_NONBLOCK stays set (a regular file ignores it): the whole file still
// comes back from read().
TEST_F(SafeFile, OpensAGoodFileReadOnlyAndReadsItWhole) {
    test::write_file(dir / "f", "hello", 0644);
    const auto fd = open_checked(dir / "f", rules);
    ASSERT_TRUE(fd.ok()) << fd.error().message;
    const int flags = ::fcntl(fd->get(), F_GETFL);
    EXPECT_EQ(flags & O_ACCMODE, O_RDONLY);
    EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
    char text[16] = {};
    EXPECT_EQ(::read(fd->get(), text, sizeof text), 5);
    EXPECT_STREQ(text, "hello");
    const std::string large(10000, 'x');
    test::write_file(dir / "large", large, 0644);
    const auto content = read_checked(dir / "large", rules);
    ASSERT_TRUE(content.ok()) << content.error().message;
    EXPECT_EQ(content->view(), large);
}

TEST_F(SafeFile, MissingIsNotFound) {
    const auto fd = open_checked(dir / "absent", rules);
    ASSERT_FALSE(fd.ok());
    EXPECT_EQ(fd.error().kind, ErrorKind::not_found);
    // A missing directory on the way, too.
    EXPECT_EQ(open_checked(dir / "absent" / "f", rules).error().kind, ErrorKind::not_found);
}

TEST_F(SafeFile, SymlinkIsRefusedEvenToAGoodFile) {
    test::write_file(dir / "f", "hello", 0644);
    std::filesystem::create_symlink(dir / "f", dir / "link");
    const auto fd = open_checked(dir / "link", rules);
    ASSERT_FALSE(fd.ok());
    EXPECT_EQ(fd.error().kind, ErrorKind::unsafe);
    EXPECT_NE(fd.error().message.find("symbolic link"), std::string::npos);
}

TEST_F(SafeFile, FifoIsRefusedWithoutHanging) {
    ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
    const int code = test::run_in_child([&] {
        ::alarm(10);  // a blocking open would be killed, failing the test
        const auto fd = open_checked(dir / "fifo", rules);
        return !fd.ok() && fd.error().kind == ErrorKind::unsafe ? 0 : 1;
    });
    EXPECT_EQ(code, 0);
}

TEST_F(SafeFile, DirectoryAndDeviceAreRefused) {
    std::filesystem::create_directory(dir / "d");
    EXPECT_EQ(open_checked(dir / "d", rules).error().kind, ErrorKind::unsafe);
    FileRules any_owner = rules;
    any_owner.also_allow_root_owner = true;
    EXPECT_EQ(open_checked("/dev/null", any_owner).error().kind, ErrorKind::unsafe);
}

TEST_F(SafeFile, OwnerRules) {
    if (!test::running_as_root()) {
        GTEST_SKIP() << "chown needs root";
    }
    test::write_file(dir / "f", "x", 0600);
    ASSERT_EQ(::chown((dir / "f").c_str(), 4242, 4242), 0);
    FileRules for_4242 = rules;
    for_4242.owner = 4242;
    EXPECT_TRUE(open_checked(dir / "f", for_4242).ok());
    FileRules for_4243 = rules;
    for_4243.owner = 4243;
    const auto refused = open_checked(dir / "f", for_4243);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::unsafe);
    EXPECT_NE(refused.error().message.find("owned by uid 4242"), std::string::npos);

    // Root-owned: only with also_allow_root_owner.
    ASSERT_EQ(::chown((dir / "f").c_str(), 0, 0), 0);
    EXPECT_FALSE(open_checked(dir / "f", for_4243).ok());
    for_4243.also_allow_root_owner = true;
    EXPECT_TRUE(open_checked(dir / "f", for_4243).ok());
}

TEST_F(SafeFile, ForbiddenModeBits) {
    test::write_file(dir / "f", "x", 0600);
    rules.forbidden_mode_bits = 0077;
    for (const mode_t mode :
         {mode_t{0640}, mode_t{0604}, mode_t{0610}, mode_t{0601}, mode_t{0666}}) {
        ASSERT_EQ(::chmod((dir / "f").c_str(), mode), 0);
        const auto fd = open_checked(dir / "f", rules);
        ASSERT_FALSE(fd.ok()) << std::oct << mode;
        EXPECT_EQ(fd.error().kind, ErrorKind::unsafe);
    }
    for (const mode_t mode : {mode_t{0600}, mode_t{0400}, mode_t{0700}}) {
        ASSERT_EQ(::chmod((dir / "f").c_str(), mode), 0);
        EXPECT_TRUE(open_checked(dir / "f", rules).ok()) << std::oct << mode;
    }
}

TEST_F(SafeFile, SizeCapFromTheInode) {
    rules.max_size = 100;
    test::write_file(dir / "f", std::string(100, 'x'), 0600);
    const auto exact = read_checked(dir / "f", rules);
    ASSERT_TRUE(exact.ok());
    EXPECT_EQ(exact->size(), 100u);
    test::write_file(dir / "f", std::string(101, 'x'), 0600);
    const auto over = read_checked(dir / "f", rules);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.error().kind, ErrorKind::unsafe);
}

TEST_F(SafeFile, SizeCapWhileReading) {
    // /proc files report size 0 yet have content: only the read loop can
    // enforce the cap. /proc/self/status belongs to the process's uid, has
    // mode 0444, and is far longer than 16 bytes.
    FileRules tiny;
    tiny.owner = ::geteuid();
    tiny.max_size = 16;
    const auto read = read_checked("/proc/self/status", tiny);
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.error().kind, ErrorKind::unsafe);
    EXPECT_NE(read.error().message.find("larger than 16 bytes"), std::string::npos)
        << read.error().message;
    tiny.max_size = 1 << 20;
    const auto whole = read_checked("/proc/self/status", tiny);
    ASSERT_TRUE(whole.ok()) << whole.error().message;
    EXPECT_NE(whole->view().find("Name:"), std::string_view::npos);
}

TEST_F(SafeFile, ReadsWholeContent) {
    std::string content;
    for (int i = 0; i < 3000; ++i) {
        content += static_cast<char>('a' + i % 26);
    }
    content += std::string(1, '\0') + "tail";  // several read chunks, a zero byte
    test::write_file(dir / "f", content, 0600);
    const auto read = read_checked(dir / "f", rules);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->view(), content);
}

TEST_F(SafeFile, ReplaceCreatesAndReplaces) {
    const auto path = dir / "target";
    ASSERT_TRUE(replace_file_atomically(path, "first", 0640).ok());
    EXPECT_EQ(test::read_file(path), "first");
    EXPECT_EQ(test::file_mode(path), 0640u);
    const mode_t old_umask = ::umask(0077);
    const auto replaced = replace_file_atomically(path, "second", 0644);
    ::umask(old_umask);
    ASSERT_TRUE(replaced.ok());
    EXPECT_EQ(test::read_file(path), "second");
    EXPECT_EQ(test::file_mode(path), 0644u);  // the umask does not change it
    EXPECT_EQ(test::list_directory(dir.path()), std::vector<std::string>{"target"});
}

TEST_F(SafeFile, ReplaceReplacesASymlinkRatherThanWritingThroughIt) {
    test::write_file(dir / "victim", "precious", 0600);
    std::filesystem::create_symlink(dir / "victim", dir / "target");
    ASSERT_TRUE(replace_file_atomically(dir / "target", "new", 0600).ok());
    EXPECT_EQ(test::read_file(dir / "victim"), "precious");
    EXPECT_FALSE(std::filesystem::is_symlink(dir / "target"));
    EXPECT_EQ(test::read_file(dir / "target"), "new");
}

TEST_F(SafeFile, ReplaceFailingToWriteKeepsTheOldFile) {
    // A file size limit makes write() fail with EFBIG part way through.
    const auto path = dir / "target";
    test::write_file(path, "old content", 0600);
    const int code = test::run_in_child([&] {
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{4096, 4096};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
            return 2;
        }
        const auto result = replace_file_atomically(path, std::string(10000, 'n'), 0600);
        return !result.ok() && result.error().kind == ErrorKind::io ? 0 : 1;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(test::read_file(path), "old content");
    EXPECT_EQ(test::list_directory(dir.path()), std::vector<std::string>{"target"});
}

TEST_F(SafeFile, ReplaceWithoutWriteAccessKeepsTheOldFile) {
    if (!test::running_as_root()) {
        GTEST_SKIP() << "setfsuid needs root";
    }
    const auto path = dir / "target";
    test::write_file(path, "old content", 0644);
    ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
    // An unprivileged file-system identity cannot write in root's 0755
    // directory; only this child switches.
    const int code = test::run_in_child([&] {
        ::setfsgid(65534);
        ::setfsuid(65534);
        if (::setfsuid(static_cast<uid_t>(-1)) != 65534) {
            return 2;
        }
        const auto result = replace_file_atomically(path, "new content", 0644);
        return result.ok() ? 1 : 0;
    });
    EXPECT_EQ(code, 0);
    EXPECT_EQ(test::read_file(path), "old content");
    EXPECT_EQ(test::list_directory(dir.path()), std::vector<std::string>{"target"});
}

TEST_F(SafeFile, ReplaceFailingToRenameKeepsTheOldFileAndNoTemporary) {
    // rename() cannot put a file over a non-empty directory.
    const auto path = dir / "target";
    std::filesystem::create_directory(path);
    test::write_file(path / "inside", "kept", 0600);
    const auto result = replace_file_atomically(path, "new", 0600);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::io);
    EXPECT_NE(result.error().message.find("unchanged"), std::string::npos);
    EXPECT_TRUE(std::filesystem::is_directory(path));
    EXPECT_EQ(test::read_file(path / "inside"), "kept");
    EXPECT_EQ(test::list_directory(dir.path()), std::vector<std::string>{"target"});
}

TEST_F(SafeFile, ReplaceInAMissingDirectoryIsNotFound) {
    const auto result = replace_file_atomically(dir / "absent" / "target", "x", 0600);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::not_found);
}

TEST_F(SafeFile, RemoveFileLocked) {
    test::write_file(dir / "f", "x", 0600);
    ASSERT_TRUE(remove_file_locked(dir / "f").ok());
    EXPECT_FALSE(std::filesystem::exists(dir / "f"));
    const auto again = remove_file_locked(dir / "f");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().kind, ErrorKind::not_found);
}

// Created by writing a temporary name and linking it (the state file, the
// host key). Faults no file system makes on demand (a failed sync) are
// injected: tests/unit/fs_faults.hpp.
class CreateByLink : public ::testing::Test {
protected:
    test::TempDir dir;
    UniqueFd dir_fd;
    test::FsFaults faults;

    void SetUp() override {
        dir_fd.reset(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(dir_fd.valid());
    }

    NewFile new_file(std::string name = "target") const {
        NewFile file;
        file.directory_fd = dir_fd.get();
        file.name = std::move(name);
        file.temporary_name = ".new-1234";
        file.mode = 0640;
        file.kind = "test file";
        file.path = dir / "target";
        return file;
    }
};

TEST_F(CreateByLink, WritesTheWholeFileWithItsModeAndNoTemporary) {
    const mode_t old_umask = ::umask(0077);
    const auto created = create_file_by_link(new_file(), "content");
    ::umask(old_umask);
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(*created, Creation::created);
    EXPECT_EQ(test::read_file(dir / "target"), "content");
    EXPECT_EQ(test::file_mode(dir / "target"), 0640U);  // the umask does not change it
    EXPECT_EQ(test::list_directory(dir.path()), std::vector<std::string>{"target"});
}

TEST_F(CreateByLink, KeepsAFileThatHasTheNameAlready) {
    test::write_file(dir / "target", "theirs", 0600);
    const auto created = create_file_by_link(new_file(), "ours");
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(*created, Creation::existed);
    EXPECT_EQ(test::read_file(dir / "target"), "theirs");
    EXPECT_EQ(test::list_directory(dir.path()), std::vector<std::string>{"target"});
}

TEST_F(CreateByLink, NeitherFollowsNorReplacesASymlink) {
    test::write_file(dir / "victim", "precious", 0600);
    std::filesystem::create_symlink(dir / "victim", dir / "target");
    const auto created = create_file_by_link(new_file(), "new");
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(*created, Creation::existed);
    EXPECT_TRUE(std::filesystem::is_symlink(dir / "target"));
    EXPECT_EQ(test::read_file(dir / "victim"), "precious");
    EXPECT_EQ(test::list_directory(dir.path()), (std::vector<std::string>{"target", "victim"}));
}

TEST_F(CreateByLink, ATakenTemporaryNameIsLeftAlone) {
    test::write_file(dir / ".new-1234", "someone else's", 0600);
    const auto created = create_file_by_link(new_file(), "new");
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().kind, ErrorKind::io);
    EXPECT_EQ(created.error().message.rfind(
                  "test file " + (dir / "target").string() + ": cannot create: ", 0),
              0U)
        << created.error().message;
    EXPECT_EQ(test::read_file(dir / ".new-1234"), "someone else's");
    EXPECT_EQ(test::list_directory(dir.path()), std::vector<std::string>{".new-1234"});
}

TEST_F(CreateByLink, AFailedWriteLeavesNothing) {
    // A file size limit makes write() fail with EFBIG part way through.
    const int code = test::run_in_child([&] {
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{4096, 4096};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
            return 2;
        }
        const auto created = create_file_by_link(new_file(), std::string(10000, 'n'));
        return !created.ok() && created.error().kind == ErrorKind::io &&
                       created.error().message.find("cannot write") != std::string::npos
                   ? 0
                   : 1;
    });
    EXPECT_EQ(code, 0);
    EXPECT_TRUE(test::list_directory(dir.path()).empty());
}

TEST_F(CreateByLink, AFailedSyncOfTheFileLeavesNothing) {
    faults.plan(test::FsCall::fsync, EIO);
    const auto created = create_file_by_link(new_file(), "content");
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().kind, ErrorKind::io);
    EXPECT_NE(created.error().message.find("cannot write"), std::string::npos);
    EXPECT_TRUE(test::list_directory(dir.path()).empty());
}

TEST_F(CreateByLink, AFailedLinkLeavesNothing) {
    const auto created = create_file_by_link(new_file(std::string(300, 'n')), "content");
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().kind, ErrorKind::io);
    EXPECT_NE(created.error().message.find("cannot create"), std::string::npos);
    EXPECT_TRUE(test::list_directory(dir.path()).empty());
}

TEST_F(CreateByLink, AFailedSyncOfTheDirectoryFails) {
    faults.plan(test::FsCall::fsync, EIO, 1, 1);  // the file's sync passes
    const auto created = create_file_by_link(new_file(), "content");
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().kind, ErrorKind::io);
    EXPECT_NE(created.error().message.find("cannot sync its directory"), std::string::npos);
    // Linked, but maybe not on disk: no temporary name stays either way.
    EXPECT_EQ(test::list_directory(dir.path()), std::vector<std::string>{"target"});
}

TEST_F(CreateByLink, TheLockEndsWithTheCall) {
    NewFile file = new_file();
    file.lock_timeout = std::chrono::milliseconds(100);
    ASSERT_TRUE(create_file_by_link(file, "content").ok());
    const UniqueFd fd(::open((dir / "target").c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    EXPECT_EQ(::flock(fd.get(), LOCK_EX | LOCK_NB), 0);
}

}  // namespace
}  // namespace otpgate::core
