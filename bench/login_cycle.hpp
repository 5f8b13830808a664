// One login through real libpam: pam_start_confdir, pam_authenticate,
// pam_end, with a conversation that types a TOTP code it computes itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace otpgate::bench {

// What the "user" types at every prompt: the TOTP code of `step` for
// `secret`, or `fixed` when `secret` is null.
struct Typing {
    const std::vector<std::uint8_t>* secret = nullptr;
    std::int64_t step = 0;
    std::string fixed;
};

struct LoginRequest {
    std::string confdir;
    std::string service;
    std::string user;
    Typing typing;
};

struct LoginResult {
    int start_rc = 0;
    int auth_rc = 0;
    unsigned prompts = 0;
    double micros = 0;      // pam_start to pam_end inclusive
    double cpu_micros = 0;  // of that, on this thread's CPU (user and system)
};

LoginResult run_login(const LoginRequest& request);

// The same, split for races: start() before a barrier, finish() after.
class PendingLogin {
public:
    explicit PendingLogin(const LoginRequest& request);
    ~PendingLogin();
    PendingLogin(const PendingLogin&) = delete;
    PendingLogin& operator=(const PendingLogin&) = delete;
    [[nodiscard]] bool started() const noexcept { return m_handle != nullptr; }
    int authenticate();

private:
    struct State;
    std::unique_ptr<State> m_state;
    void* m_handle = nullptr;
};

// Keeps a module mapped between pam_end and the next pam_start (libpam
// dlcloses it at every pam_end), so that a loop measures the login, not
// the loader. Equal treatment for every module; the load itself is
// measured separately (module_load_micros).
class ModuleHold {
public:
    explicit ModuleHold(const std::string& path);
    ~ModuleHold();
    ModuleHold(const ModuleHold&) = delete;
    ModuleHold& operator=(const ModuleHold&) = delete;

private:
    void* m_handle;
};

// Median time of dlopen(RTLD_NOW) + dlclose of `path` in this process, as
// libpam does for each new process (one sshd connection, one su).
double module_load_micros(const std::string& path, int repeats);

}  // namespace otpgate::bench
