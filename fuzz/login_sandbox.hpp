// The private folder a fuzzed login lives in (fuzz_login.cpp): config,
// state directory, enrollments and outboxes. The module arguments point
// every path of the config into it, so a login touches nothing outside.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/state/state_store.hpp"

namespace otpgate::fuzz {

struct LoginCase;

// A user's state file as a login would find it.
struct StateSnapshot {
    enum class Kind { absent, valid, unusable } kind = Kind::absent;
    core::UserState state;  // when valid: the newest valid record
};

// The replay fence as a login would find it.
enum class FenceSnapshot { absent, empty, valid, damaged };

class LoginSandbox {
public:
    // A new folder in /dev/shm or /tmp, named after this process and
    // removed by the destructor (or, after a crash, by the next run).
    LoginSandbox();
    ~LoginSandbox();
    LoginSandbox(const LoginSandbox&) = delete;
    LoginSandbox& operator=(const LoginSandbox&) = delete;

    // Empties it again: no config, state, enrollment or outbox.
    void reset();

    // What pam_sm_authenticate gets: config=, and every path forced inside.
    std::vector<std::string> module_arguments(const LoginCase& login) const;

    [[nodiscard]] const std::filesystem::path& state_dir() const { return m_state_dir; }
    [[nodiscard]] std::filesystem::path config_file() const { return m_root / "otpgate.conf"; }
    [[nodiscard]] std::filesystem::path enrollment_file(const std::string& user) const {
        return m_enrollment_dir / user;
    }
    [[nodiscard]] std::filesystem::path outbox(bool sms) const {
        return m_root / (sms ? "sms-outbox" : "email-outbox");
    }

    // Writes a file whole, with this mode and owner.
    static void write_file(const std::filesystem::path& path, std::string_view bytes, mode_t mode,
                           uid_t owner = 0);
    static std::optional<std::string> read_file(const std::filesystem::path& path);

    [[nodiscard]] StateSnapshot state_of(const std::string& user) const;
    [[nodiscard]] FenceSnapshot fence() const;

private:
    std::filesystem::path m_root;
    std::filesystem::path m_state_dir;
    std::filesystem::path m_enrollment_dir;
};

}  // namespace otpgate::fuzz
