// The storage of files on this host, in one of two kinds (`store`): each
// user's enrollment in a file of theirs (`files`: enrollment_path, written
// with the user's own rights, enrollment_store.hpp) or in root's state
// directory (`local`: root_enrollment_store.hpp); and root's state
// directory for the rest: one state file per user
// (state_store.hpp), the replay fence (replay_fence.hpp), the host send log
// (host_send_cap.hpp) and the remembered-host key (remembered_host.hpp).
//
// A UserTransaction holds the user's state file locked (flock) from begin
// to end. A spent TOTP step is written without a flush of its own only
// when the replay fence, flushed first, covers it.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <variant>

#include "otpgate/core/enrollment/enrollment_store.hpp"
#include "otpgate/core/enrollment/root_enrollment_store.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

class FileStorage final : public Storage {
public:
    // Where enrollments live: the users' files, or root's.
    using Enrollments = std::variant<EnrollmentStore, RootEnrollmentStore>;

    // `lock_timeout`: how long any lock is waited for. `logger` hears what
    // the files say (a record dropped, a damaged fence).
    FileStorage(Enrollments enrollments, std::filesystem::path state_dir,
                std::chrono::milliseconds lock_timeout, Logger& logger)
        : m_enrollments(std::move(enrollments)),
          m_states(state_dir, lock_timeout, &logger),
          m_state_dir(std::move(state_dir)),
          m_lock_timeout(lock_timeout),
          m_logger(logger) {}

    [[nodiscard]] Result<Enrollment> load_enrollment(const UserAccount& account) override;
    [[nodiscard]] Result<void> save_enrollment(const UserAccount& account,
                                               const Enrollment& enrollment) override;
    [[nodiscard]] Result<void> remove_enrollment(const UserAccount& account) override;
    [[nodiscard]] std::optional<std::string> enrollment_location(
        const UserAccount& account) override;

    [[nodiscard]] Result<std::unique_ptr<UserTransaction>> begin(
        const std::string& user_name) override;
    [[nodiscard]] Result<std::unique_ptr<UserTransaction>> begin(
        const std::string& user_name, std::optional<uid_t> account_uid) override;
    [[nodiscard]] Result<std::optional<UserState>> read_state(
        const std::string& user_name) override;
    [[nodiscard]] Result<void> remove_state(const std::string& user_name) override;
    [[nodiscard]] Result<std::vector<std::string>> users_with_state() override;

    [[nodiscard]] Result<SecretBytes> remembered_host_key(RandomSource& random) override;

private:
    Result<std::unique_ptr<UserTransaction>> transaction(Result<LockedState> locked,
                                                         const std::string& user_name);

    Enrollments m_enrollments;
    StateStore m_states;
    std::filesystem::path m_state_dir;
    std::chrono::milliseconds m_lock_timeout;
    Logger& m_logger;
};

}  // namespace otpgate::core
