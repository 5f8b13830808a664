// The two places this host can keep an enrollment (`store`, config.hpp),
// each on its own: the user's file (`files`: enrollment_store.hpp, read and
// written with the user's own rights) and root's (`local`:
// root_enrollment_store.hpp). FileStorage reads and writes through it, the
// configured place first; `otpgate store migrate` moves enrollments from
// one to the other (enrollment_move.hpp) and `otpgate list` asks which one
// holds a user's. Everything else goes through Storage (storage.hpp).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/enrollment/enrollment_store.hpp"
#include "otpgate/core/enrollment/root_enrollment_store.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {

// files for local, local for files.
StoreKind other_store(StoreKind kind);

// Whether `error`, from loading `place`, only means that the place holds
// nothing for the account: not_found, or (files) no path can be made for
// it (no usable home), so no file of it can exist.
bool holds_nothing(StoreKind place, const Error& error);

class EnrollmentPlaces {
public:
    // Its enrollment_path, state_dir and lock_timeout.
    explicit EnrollmentPlaces(const Config& config)
        : m_files(config.enrollment_path, config.lock_timeout),
          m_local(config.state_dir, config.lock_timeout) {}

    // As the stores say: not_found (local: also a file of another uid),
    // unsafe, corrupt, io; files: invalid_input when no path can be made.
    [[nodiscard]] Result<Enrollment> load(StoreKind place, const UserAccount& account) const;
    // Replaces the place's copy whole (atomically).
    [[nodiscard]] Result<void> save(StoreKind place, const UserAccount& account,
                                    const Enrollment& enrollment) const;
    // Removes the account's copy: not_found when the place holds none for
    // it (a local file of another uid is left alone).
    [[nodiscard]] Result<void> remove(StoreKind place, const UserAccount& account) const;
    [[nodiscard]] Result<std::filesystem::path> path_of(StoreKind place,
                                                        const UserAccount& account) const;
    // The path as text for messages, or why there is none.
    [[nodiscard]] std::string describe(StoreKind place, const UserAccount& account) const;
    // The names with a file in root's place, sorted (whatever uid it names).
    [[nodiscard]] Result<std::vector<std::string>> local_user_names() const;

private:
    EnrollmentStore m_files;
    RootEnrollmentStore m_local;
};

}  // namespace otpgate::core
