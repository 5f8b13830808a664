// The benchmark's private world: a mount namespace in which /etc/passwd
// and /etc/group also list the benchmark's users, /dev/log is a socket
// this process drains (no syslog line reaches the console), and each
// "world" is a folder (on disk or on a tmpfs) holding the users' homes and
// all three modules' files, so that every module keeps its state on the
// same file system.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace otpgate::bench {

// Every benchmark user's primary group: /etc/group grows by one line, as
// on a host whose users share a group (`users`), not by one per user.
inline constexpr gid_t bench_group_id = 40999;

struct BenchUser {
    std::string name;
    uid_t uid = 0;
    std::filesystem::path home;
    std::vector<std::uint8_t> secret;  // 20 random bytes
};

struct ModulePaths {
    std::string otpgate;
    std::string google;  // empty: not installed
    std::string oath;    // empty: not installed
};

class World {
public:
    // Users `prefix`0000.. with uids from `first_uid`; `sms_users` more
    // named `prefix`sms0.. enrolled for SMS.
    World(std::filesystem::path root, std::string prefix, uid_t first_uid, std::size_t users,
          std::size_t sms_users);

    [[nodiscard]] const std::filesystem::path& root() const noexcept { return m_root; }
    [[nodiscard]] std::string confdir() const { return (m_root / "pam.d").string(); }
    [[nodiscard]] const std::vector<BenchUser>& users() const noexcept { return m_users; }
    [[nodiscard]] const std::vector<BenchUser>& sms_users() const noexcept { return m_sms_users; }
    [[nodiscard]] std::string passwd_lines() const;
    [[nodiscard]] std::string group_lines() const;

    // Homes, the three modules' files, service files and configs; the
    // otpgate enrollments through `enroll_tool`. Needs the namespace. Run
    // again after mounting a tmpfs over root(): the same users and paths,
    // on another file system.
    // `sms_port`: where the SMS service's (hanging) gateway listens.
    void create(const ModulePaths& modules, const std::string& enroll_tool, int sms_port,
                unsigned sms_timeout_ms) const;
    // Moves pam_otpgate's replay fence an hour back, as if the last login
    // were that old: the next success must advance and flush it.
    void age_replay_fence() const;

private:
    std::filesystem::path m_root;
    std::vector<BenchUser> m_users;
    std::vector<BenchUser> m_sms_users;
};

// unshare(CLONE_NEWNS), private propagation, an overlay over /etc whose
// passwd and group are the real files plus the benchmark's lines, an
// overlay over /dev, and a socket at /dev/log drained by a child process
// into `syslog_copy`. Returns the drain's pid.
pid_t enter_private_namespace(const std::filesystem::path& scratch,
                              const std::vector<const World*>& worlds,
                              const std::filesystem::path& syslog_copy);

// A tmpfs at `where` (inside the private namespace), and its removal.
void mount_tmpfs(const std::filesystem::path& where);
void unmount(const std::filesystem::path& where);

// A listening TCP socket on 127.0.0.1 served by a child process that
// accepts every connection and never answers. Returns the port.
int start_hanging_gateway(pid_t& child);

void stop_child(pid_t child);

// Children that must not outlive the benchmark, the tmpfs and the scratch
// folder (kept with OTPGATE_BENCH_KEEP), whatever happens; an empty field
// is skipped.
struct Cleanup {
    pid_t drain = 0;
    pid_t gateway = 0;
    std::filesystem::path tmpfs;
    std::filesystem::path scratch;
    Cleanup() = default;
    Cleanup(const Cleanup&) = delete;
    Cleanup& operator=(const Cleanup&) = delete;
    ~Cleanup();
};

}  // namespace otpgate::bench
