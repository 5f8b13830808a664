// Finds, reads and writes a user's enrollment file, always with that user's
// file-system rights and never through a symlink.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {

// Expands %u, %h and %% in the configured path. invalid_input when the
// result is not absolute or the template has an unknown escape.
Result<std::filesystem::path> enrollment_path_for(const std::string& path_template,
                                                  const UserAccount& account);

class EnrollmentStore {
public:
    // `lock_timeout`: how long a save or remove waits for the lock on the
    // file's directory (the user can hold it: it is theirs).
    explicit EnrollmentStore(std::string path_template,
                             std::chrono::milliseconds lock_timeout = default_lock_timeout)
        : m_template(std::move(path_template)), m_lock_timeout(lock_timeout) {}

    // not_found: the user has not enrolled. unsafe: the file was refused
    // (the message says why). corrupt: it could not be parsed.
    [[nodiscard]] Result<Enrollment> load(const UserAccount& account) const;
    [[nodiscard]] Result<void> save(const UserAccount& account, const Enrollment& enrollment) const;
    [[nodiscard]] Result<void> remove(const UserAccount& account) const;
    [[nodiscard]] Result<std::filesystem::path> path_of(const UserAccount& account) const;

private:
    std::string m_template;
    std::chrono::milliseconds m_lock_timeout;
};

}  // namespace otpgate::core
