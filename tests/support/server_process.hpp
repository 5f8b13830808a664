// A helper server (a Python script playing an SMS gateway or an SMTP
// server on 127.0.0.1) in a child process, for the test tiers that need
// one: started, its port read from the first line it prints, stopped with
// the test.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace otpgate::test {

class ServerProcess {
public:
    // Runs `python script arguments...` with a minimal environment (no
    // LD_PRELOAD from a sanitizer build, no bytecode written into the
    // source tree); throws unless it prints its port within 10 s.
    ServerProcess(const std::string& python, const std::filesystem::path& script,
                  const std::vector<std::string>& arguments);
    // SIGTERM, then SIGKILL if it has not exited after 2 s.
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    [[nodiscard]] unsigned port() const noexcept { return m_port; }

private:
    pid_t m_pid = -1;
    unsigned m_port = 0;
};

}  // namespace otpgate::test
