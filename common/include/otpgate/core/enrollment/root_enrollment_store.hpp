// The enrollments root keeps for its users (`store = local`): one file per
// user in `<state_dir>/.enrollments/`, mode 0600 and owned by root, in a
// folder only root may enter. A user's shell reads none of it, so a stolen
// session cannot make codes; users change theirs through otpgate-verify.
//
// Each file is the enrollment text (enrollment.hpp) after one line naming
// the account it belongs to: "otpgate-local-enrollment uid=1001". A file
// of another uid (an account removed, its name given to a new one) counts
// as no enrollment for the new account.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/system/file_lock.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {

class RootEnrollmentStore {
public:
    // `state_dir`: the config's; the files live in its .enrollments/ folder.
    explicit RootEnrollmentStore(const std::filesystem::path& state_dir,
                                 std::chrono::milliseconds lock_timeout = default_lock_timeout)
        : m_directory(state_dir / ".enrollments"), m_lock_timeout(lock_timeout) {}

    // not_found: none for this account. unsafe: the file or its folder is
    // not root's alone. corrupt: it could not be parsed.
    [[nodiscard]] Result<Enrollment> load(const UserAccount& account) const;
    // Replaces the user's file whole (written, synced, renamed into place).
    [[nodiscard]] Result<void> save(const UserAccount& account, const Enrollment& enrollment) const;
    // not_found when there was none.
    [[nodiscard]] Result<void> remove(const UserAccount& account) const;
    [[nodiscard]] Result<std::filesystem::path> path_of(const UserAccount& account) const;
    // The user names that have a file, sorted (whatever uid it names).
    [[nodiscard]] Result<std::vector<std::string>> user_names() const;

private:
    std::filesystem::path m_directory;
    std::chrono::milliseconds m_lock_timeout;
};

}  // namespace otpgate::core
