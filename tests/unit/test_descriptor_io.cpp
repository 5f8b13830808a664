// write_all and errno_text (system/descriptor_io.hpp).
#include <cerrno>
#include <string>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "otpgate/core/system/descriptor_io.hpp"
#include "otpgate/core/system/unique_fd.hpp"

namespace otpgate::core {
namespace {

TEST(WriteAll, WritesMoreThanOneWriteTakes) {
    // A pipe takes 64 KiB at a time; a reader drains it meanwhile.
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    const std::string content(300'000, 'x');
    std::string received;
    const pid_t reader = ::fork();
    ASSERT_GE(reader, 0);
    if (reader == 0) {
        write_end.reset();
        std::size_t total = 0;
        char buffer[4096];
        ssize_t got = 0;
        while ((got = ::read(read_end.get(), buffer, sizeof buffer)) > 0) {
            total += static_cast<std::size_t>(got);
        }
        ::_exit(total == 300'000 ? 0 : 1);
    }
    read_end.reset();
    EXPECT_TRUE(write_all(write_end.get(), content));
    write_end.reset();
    int status = 0;
    ASSERT_EQ(::waitpid(reader, &status, 0), reader);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(WriteAll, FailsWithErrno) {
    errno = 0;
    EXPECT_FALSE(write_all(-1, "x"));
    EXPECT_EQ(errno, EBADF);
}

TEST(WriteAll, NothingToWriteIsDone) {
    EXPECT_TRUE(write_all(-1, ""));
}

TEST(ErrnoText, DescribesErrors) {
    EXPECT_EQ(errno_text(ENOENT), "No such file or directory");
    EXPECT_EQ(errno_text(EACCES), "Permission denied");
}

}  // namespace
}  // namespace otpgate::core
