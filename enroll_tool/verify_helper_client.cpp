#include "verify_helper_client.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "otpgate/core/system/descriptor_io.hpp"
#include "otpgate/core/system/unique_fd.hpp"

namespace otpgate::cli {

bool verify_helper_installed(const core::Config& config) {
    struct stat info {};
    if (config.verify_helper.empty() || stat(config.verify_helper.c_str(), &info) != 0) {
        return false;
    }
    return S_ISREG(info.st_mode) && info.st_uid == 0 && (info.st_mode & S_ISUID) != 0;
}

std::optional<Failure> run_verify_helper(const core::Config& config,
                                         const std::vector<std::string>& arguments,
                                         const core::SecretString* input) {
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
    int spawned = 0;
    bool handed_over = input == nullptr;
    if (input == nullptr) {
        spawned = posix_spawn(&child, config.verify_helper.c_str(), nullptr, nullptr, argv.data(),
                              no_environment);
    } else {
        // A code is a few bytes: it fits the pipe before the helper reads.
        int pipe_fds[2];
        if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
            return Failure{ExitCode::internal,
                           std::string("cannot make a pipe: ") + std::strerror(errno)};
        }
        // Our read end stays open until the code is written, so a helper
        // that exits at once cannot turn the write into a SIGPIPE.
        const core::UniqueFd read_end(pipe_fds[0]);
        core::UniqueFd write_end(pipe_fds[1]);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], STDIN_FILENO);
        spawned = posix_spawn(&child, config.verify_helper.c_str(), &actions, nullptr, argv.data(),
                              no_environment);
        posix_spawn_file_actions_destroy(&actions);
        if (spawned == 0) {
            const std::string_view text = input->view();
            handed_over =
                core::write_all(write_end.get(), text) && core::write_all(write_end.get(), "\n");
        }
        write_end.reset();  // end of input: the helper never waits for more
    }
    if (spawned != 0) {
        return Failure{ExitCode::internal,
                       "cannot run " + config.verify_helper + ": " + std::strerror(spawned)};
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            return Failure{ExitCode::internal,
                           std::string("waiting for otpgate-verify: ") + std::strerror(errno)};
        }
    }
    if (WIFEXITED(status)) {
        const int code = WEXITSTATUS(status);
        if (code != 0) {
            return Failure{static_cast<ExitCode>(code), {}};
        }
        if (!handed_over) {
            return Failure{ExitCode::internal, "the code could not be handed to otpgate-verify"};
        }
        return std::nullopt;
    }
    return Failure{ExitCode::not_verified,
                   "otpgate-verify was stopped by signal " +
                       std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : 0) +
                       "; nothing was changed"};
}

}  // namespace otpgate::cli
