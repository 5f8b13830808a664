// lock_file: every wait for an flock ends by its deadline, and says who
// holds the lock; the holder is another process, stopped or running.
#include <chrono>
#include <csignal>
#include <fstream>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "otpgate/core/system/file_lock.hpp"
#include "otpgate/core/system/unique_fd.hpp"
#include "test_support.hpp"

namespace otpgate::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string own_process_name() {
    std::ifstream comm("/proc/self/comm");
    std::string name;
    std::getline(comm, name);
    return name;
}

// A child process that takes an flock of `operation` on `path`, says so
// through a pipe, and keeps it until killed.
class LockHolder {
public:
    LockHolder(const std::filesystem::path& path, int operation) {
        int ready[2];
        if (::pipe(ready) != 0) {
            throw std::runtime_error("pipe");
        }
        m_pid = ::fork();
        if (m_pid == 0) {
            ::close(ready[0]);
            const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
            if (fd < 0 || ::flock(fd, operation) != 0) {
                ::_exit(1);
            }
            const char byte = 'L';
            if (::write(ready[1], &byte, 1) != 1) {
                ::_exit(1);
            }
            while (true) {
                ::pause();
            }
        }
        ::close(ready[1]);
        char byte = 0;
        m_locked = ::read(ready[0], &byte, 1) == 1;
        ::close(ready[0]);
    }
    LockHolder(const LockHolder&) = delete;
    LockHolder& operator=(const LockHolder&) = delete;
    ~LockHolder() { release(); }

    [[nodiscard]] bool locked() const { return m_locked; }
    [[nodiscard]] pid_t pid() const { return m_pid; }
    void stop() const { ::kill(m_pid, SIGSTOP); }
    void release() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
            m_pid = -1;
        }
    }

private:
    pid_t m_pid = -1;
    bool m_locked = false;
};

class FileLock : public ::testing::Test {
protected:
    test::TempDir dir;
    std::filesystem::path path;
    UniqueFd fd;

    void SetUp() override {
        path = dir / "record";
        test::write_file(path, "x", 0600);
        fd.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        ASSERT_TRUE(fd.valid());
    }
};

TEST_F(FileLock, AFreeLockIsTakenAtOnce) {
    EXPECT_TRUE(lock_file(fd.get(), LockMode::exclusive, milliseconds(100), path).ok());
    EXPECT_EQ(flock_holders(fd.get()),
              "process " + std::to_string(::getpid()) + " (" + own_process_name() + ")");
}

TEST_F(FileLock, SharedLocksShareAndExclusiveWaits) {
    LockHolder holder(path, LOCK_SH);
    ASSERT_TRUE(holder.locked());
    EXPECT_TRUE(lock_file(fd.get(), LockMode::shared, milliseconds(100), path).ok());
    // Converting to exclusive waits for the other reader.
    const auto converted = lock_file(fd.get(), LockMode::exclusive, milliseconds(100), path);
    ASSERT_FALSE(converted.ok());
    EXPECT_EQ(converted.error().kind, ErrorKind::unavailable);
}

// A holder that a user stopped (the suspend key at `su`'s terminal) keeps
// its lock forever; the waiter gives up at its deadline, naming the lock
// and the holder.
TEST_F(FileLock, AStoppedHolderDelaysAWaiterOnlyUntilItsDeadline) {
    LockHolder holder(path, LOCK_EX);
    ASSERT_TRUE(holder.locked());
    holder.stop();
    const auto started = steady_clock::now();
    const auto locked = lock_file(fd.get(), LockMode::exclusive, milliseconds(300), path);
    const auto waited = steady_clock::now() - started;
    ASSERT_FALSE(locked.ok());
    EXPECT_EQ(locked.error().kind, ErrorKind::unavailable);
    EXPECT_GE(waited, milliseconds(300));
    // Not a speed target: without a deadline this wait never ends at all.
    EXPECT_LT(waited, milliseconds(5000));
    const std::string& message = locked.error().message;
    EXPECT_NE(message.find("timed out after 300 ms waiting for the lock on " + path.string()),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("held by process " + std::to_string(holder.pid())), std::string::npos)
        << message;
    EXPECT_NE(message.find("lock_timeout_ms"), std::string::npos) << message;
}

TEST_F(FileLock, AWaiterGetsTheLockWhenItsHolderLetsGo) {
    LockHolder holder(path, LOCK_EX);
    ASSERT_TRUE(holder.locked());
    pid_t releaser = ::fork();
    if (releaser == 0) {
        ::usleep(200'000);
        ::kill(holder.pid(), SIGKILL);
        ::_exit(0);
    }
    const auto locked = lock_file(fd.get(), LockMode::exclusive, milliseconds(20'000), path);
    ::waitpid(releaser, nullptr, 0);
    EXPECT_TRUE(locked.ok()) << locked.error().message;
}

TEST_F(FileLock, NobodyHoldsAnUnlockedFile) {
    EXPECT_EQ(flock_holders(fd.get()), "");
}

TEST_F(FileLock, ABadDescriptorIsAnErrorNotAWait) {
    const auto locked = lock_file(-1, LockMode::exclusive, milliseconds(60'000), path);
    ASSERT_FALSE(locked.ok());
    EXPECT_EQ(locked.error().kind, ErrorKind::io);
}

}  // namespace
}  // namespace otpgate::core
