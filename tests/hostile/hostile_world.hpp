// What every hostile case runs in: the PAM test sandbox (tests/support:
// nss_wrapper users, a libfaketime clock, a config file), logins through
// real libpam with a conversation that can misbehave, helper servers that
// misbehave, and file systems that are full or read-only (tmpfs mounts,
// only inside the private mount namespace ctest starts the suite in).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/enrollment/enrollment.hpp"
#include "pam_login.hpp"
#include "pam_sandbox.hpp"
#include "scripted_conversation.hpp"
#include "server_process.hpp"

namespace otpgate::hostile_tests {

using pam_tests::KnownEnrollment;
using pam_tests::LoginResult;
using pam_tests::Sandbox;

// One answer of the application to a prompt (text byte for byte, NULs
// included, or a way of failing).
using Reply = test::Reply;

struct LoginAttempt {
    std::string service = "hostile";
    std::optional<std::string> user = "alice";  // nullopt: pam_start gets NULL
    std::vector<Reply> replies;                 // when they run out the conversation fails
    // When set, RLIMIT_NOFILE is lowered after pam_start so that only this
    // many more descriptors can be opened: the next open() fails (EMFILE).
    std::optional<int> free_descriptors;
};

// One login in a forked child, killed if it is not done within `deadline`
// (result.failure then says "timed out"). A crash shows in result.failure.
LoginResult run_attempt(const LoginAttempt& attempt,
                        std::chrono::milliseconds deadline = std::chrono::seconds(15));

// Moves this process into a mount namespace of its own (once), where /
// does not propagate mounts back; mount_tmpfs calls it first.
void enter_private_mount_namespace();
void mount_tmpfs(const std::filesystem::path& at, const std::string& options);
void remount_read_only(const std::filesystem::path& at);
// Unmounts everything mount_tmpfs mounted (World's destructor does).
void unmount_all();
// Writes a file until the file system is full.
void fill_file_system(const std::filesystem::path& directory);

// The world of one case: the sandbox, the users' enrollments, the config
// lines the case added, and any helper server.
class World {
public:
    World();
    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    [[nodiscard]] Sandbox& sandbox() { return m_sandbox; }
    [[nodiscard]] const std::filesystem::path& root() const { return m_sandbox.root(); }

    // Appends lines to the config (after the base lines) and rewrites it.
    void config(std::string_view lines);
    // Moves the state directory (a config line) for the module and for
    // enroll_delivered.
    void use_state_dir(const std::filesystem::path& directory);
    [[nodiscard]] std::filesystem::path state_dir() const;
    // Replaces the config path with whatever `make` creates there.
    [[nodiscard]] std::filesystem::path config_path() const;

    // A TOTP enrollment written by the core store, as `otpgate enroll` would.
    const KnownEnrollment& enroll(const std::string& user);
    // An SMS or email enrollment whose destination root has verified.
    void enroll_delivered(const std::string& user, core::Method method,
                          const std::string& destination);
    [[nodiscard]] const KnownEnrollment& known(const std::string& user) const;

    // Adds a user to nss_wrapper's files (home inside the sandbox, created
    // and owned by the new uid).
    void add_user(const std::string& name, uid_t uid);
    [[nodiscard]] std::filesystem::path home_of(const std::string& user) const;
    [[nodiscard]] uid_t uid_of(const std::string& user) const;

    // The code of `user` `steps` periods from now, and a code that matches
    // no step in reach.
    [[nodiscard]] std::string code(const std::string& user, std::int64_t steps = 0) const;
    [[nodiscard]] std::string wrong_code(const std::string& user) const;
    void step_clock(std::int64_t seconds);

    // Replaces {code}, {code-1}, {code+1}, {wrong}, {backup} (alice's) and
    // {code:user} (the code of `user`) in a reply.
    [[nodiscard]] std::string expand(const std::string& text, const std::string& user) const;
    // A successful login of alice with the current code, for cases that
    // need a state file (and a spent code) first.
    void log_in_once(const std::string& user = "alice");

    // What the setup wants of the login itself (see LoginAttempt).
    std::optional<int> free_descriptors;

    void start_server(const std::string& script, const std::vector<std::string>& arguments);
    [[nodiscard]] unsigned server_port() const;
    [[nodiscard]] std::filesystem::path server_log() const { return root() / "server.log"; }

    // Everything a login printed must be free of these.
    [[nodiscard]] std::vector<std::string> secrets() const;

private:
    Sandbox m_sandbox;
    std::string m_extra_config;
    std::optional<std::filesystem::path> m_state_dir;
    std::map<std::string, KnownEnrollment> m_known;
    std::map<std::string, std::pair<uid_t, std::filesystem::path>> m_added_users;
    std::unique_ptr<test::ServerProcess> m_server;
};

}  // namespace otpgate::hostile_tests
