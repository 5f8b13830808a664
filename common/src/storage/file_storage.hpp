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
//
// Enrollments are read from the configured place first, then from the
// other one (enrollment_places.hpp), so that every user logs in with their
// one enrollment before, during and after `otpgate store migrate`, whatever
// the configuration says; one found in the other place is used and logged
// (a notice naming the command that moves it). A save goes to the
// configured place and then removes the other place's copy, so no stale
// secret stays readable; a removal removes both, so that a disabled
// enrollment cannot come back from the other place. Root's place is only
// looked at by root (the module, the helper, root's otpgate): for anyone
// else it holds nothing they could read.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/storage/enrollment_places.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

// The transaction FileStorage makes over a state file `locked` holds: a
// spent TOTP step admitted through the replay fence in `state_dir`, SMS
// reserved in its host send log. Also the shared store's transaction
// while the store is unreachable (offline_state.hpp).
std::unique_ptr<UserTransaction> make_file_transaction(LockedState locked, std::string user_name,
                                                       const std::filesystem::path& state_dir,
                                                       std::chrono::milliseconds lock_timeout,
                                                       Logger& logger);

class FileStorage final : public Storage {
public:
    // `configured`: the place enrollments are saved in and read from first.
    // `lock_timeout`: how long any lock is waited for. `logger` hears what
    // the files say (a record dropped, a damaged fence, an enrollment found
    // in the other place).
    FileStorage(EnrollmentPlaces places, StoreKind configured, std::filesystem::path state_dir,
                std::chrono::milliseconds lock_timeout, Logger& logger)
        : m_places(std::move(places)),
          m_configured(configured),
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

    [[nodiscard]] Result<void> record_event(const AuditEvent& event) override;
    [[nodiscard]] Result<std::vector<AuditRecord>> audit_log(const AuditQuery& query) override;

    [[nodiscard]] Result<SecretBytes> remembered_host_key(RandomSource& random) override;

private:
    Result<std::unique_ptr<UserTransaction>> transaction(Result<LockedState> locked,
                                                         const std::string& user_name);

    // The other place, when this process may look there (root's: only root).
    [[nodiscard]] std::optional<StoreKind> fallback() const;
    // Whether root's state of the account names `enrollment` (a login,
    // root's enroll or the helper recorded it): what lets a file of the
    // user's stand in when root's store holds nothing.
    [[nodiscard]] bool known_to_root(const UserAccount& account,
                                     const Enrollment& enrollment) const;
    // Removes the account's copy in `place`; not_found when it holds none.
    [[nodiscard]] Result<void> remove_from(StoreKind place, const UserAccount& account) const;

    EnrollmentPlaces m_places;
    StoreKind m_configured;
    StateStore m_states;
    std::filesystem::path m_state_dir;
    std::chrono::milliseconds m_lock_timeout;
    Logger& m_logger;
};

}  // namespace otpgate::core
