#include "verify_helper_client.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

namespace otpgate::cli {

bool verify_helper_installed(const core::Config& config) {
    struct stat info {};
    if (config.verify_helper.empty() || stat(config.verify_helper.c_str(), &info) != 0) {
        return false;
    }
    return S_ISREG(info.st_mode) && info.st_uid == 0 && (info.st_mode & S_ISUID) != 0;
}

std::optional<Failure> run_verify_helper(const core::Config& config,
                                         const std::vector<std::string>& arguments) {
    std::vector<std::string> words{config.verify_helper};
    words.insert(words.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (std::string& word : words) {
        argv.push_back(word.data());
    }
    argv.push_back(nullptr);
    char* no_environment[] = {nullptr};
    std::fflush(stdout);  // what we printed comes before what the helper prints
    std::fflush(stderr);
    pid_t child = 0;
    const int spawned = posix_spawn(&child, config.verify_helper.c_str(), nullptr, nullptr,
                                    argv.data(), no_environment);
    if (spawned != 0) {
        return Failure{ExitCode::internal, "cannot run " + config.verify_helper + ": " +
                                               std::strerror(spawned)};
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            return Failure{ExitCode::internal, std::string("waiting for otpgate-verify: ") +
                                                   std::strerror(errno)};
        }
    }
    if (WIFEXITED(status)) {
        const int code = WEXITSTATUS(status);
        if (code == 0) {
            return std::nullopt;
        }
        return Failure{static_cast<ExitCode>(code), {}};
    }
    return Failure{ExitCode::not_verified,
                   "otpgate-verify was stopped by signal " +
                       std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : 0) +
                       "; nothing was changed"};
}

}  // namespace otpgate::cli
