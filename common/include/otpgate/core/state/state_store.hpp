// Per-user login state (used TOTP steps, spent backup codes) in a
// root-owned directory the user cannot write.
//
// One file per user holds two fixed-size slots, each with a sequence number
// and a SHA-256 checksum. An update writes the slot not holding the current
// record in place, no rename, and fdatasyncs it unless the change may be
// lost in a crash (a TOTP step the replay fence covers, a wrong code). A
// crash mid-write damages at most the slot being written, and the reader
// falls back to the other, so the old or the new record always survives.
// An exclusive flock held from read to write serializes concurrent logins
// of one user; different users never share a lock. No wait for it outlasts
// the store's lock timeout (file_lock.hpp). The layout of this and every
// other record: docs/state-records.md.
#pragma once

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/state/user_state.hpp"
#include "otpgate/core/system/file_lock.hpp"
#include "otpgate/core/system/logger.hpp"
#include "otpgate/core/system/unique_fd.hpp"

namespace otpgate::core {

enum class Flush { now, by_kernel };

inline constexpr std::size_t state_slot_size = 512;
inline constexpr std::size_t state_file_size = 2 * state_slot_size;

class LockedState {
public:
    LockedState(UniqueFd fd, std::filesystem::path path, UserState state, std::uint64_t sequence,
                std::size_t live_slot);
    LockedState(LockedState&&) noexcept = default;
    LockedState& operator=(LockedState&&) noexcept = default;
    ~LockedState() = default;  // closing the descriptor releases the lock

    [[nodiscard]] UserState& state() noexcept { return m_state; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    // Records state(); on failure the previous record stays valid. With
    // Flush::now it is on disk on return. With Flush::by_kernel it is
    // visible at once to every other login and reaches the disk with the
    // kernel's writeback; a crash before then loses it, so it is only for
    // changes whose loss is harmless or covered (replay_fence.hpp).
    [[nodiscard]] Result<void> commit(Flush flush = Flush::now);

    // Every commit records `uid` as the owner, whatever state() was set to.
    void set_owner(uid_t uid) noexcept { m_owner = uid; }
    // The state directory the file was opened in (checked by
    // open_state_directory), kept open while the lock is held so that the
    // replay fence beside the file is opened without opening and checking
    // the directory again; -1 when not kept.
    [[nodiscard]] int directory_fd() const noexcept { return m_directory.get(); }
    void keep_directory(UniqueFd directory) noexcept { m_directory = std::move(directory); }

private:
    UniqueFd m_fd;
    std::filesystem::path m_path;
    UserState m_state;
    std::uint64_t m_sequence = 0;
    std::size_t m_live_slot = 0;  // 0 or 1: the slot holding m_sequence
    std::optional<uid_t> m_owner;
    UniqueFd m_directory;
};

class StateStore {
public:
    // `lock_timeout`: the config's lock_timeout_ms; how long a lock held by
    // another process is waited for before failing with `unavailable`.
    // `logger` hears of records dropped because they belong to another
    // account; null only in tests and tools that do not care.
    explicit StateStore(std::filesystem::path directory,
                        std::chrono::milliseconds lock_timeout = default_lock_timeout,
                        Logger* logger = nullptr)
        : m_directory(std::move(directory)), m_lock_timeout(lock_timeout), m_logger(logger) {}

    // Opens (creating if needed) and locks the user's state file, then reads
    // it. unsafe when the directory or file is not as it must be; corrupt
    // when neither slot is valid (fail closed: spent codes must stay spent).
    // A second name that a creation interrupted after linking the file left
    // behind (its temporary name) is removed; any other makes it unsafe.
    //
    // The record is tied to the account now holding the name, looked up by
    // name: a record of another uid (an account deleted and a new one made
    // with its name) is dropped, logged, and a fresh one committed in its
    // place, so the new account inherits no spent codes, lock or verified
    // destination; a record without a uid (older versions) is adopted. With
    // no account of that name the record is left as it is.
    [[nodiscard]] Result<LockedState> lock(const std::string& user_name) const;
    // The same for an account already looked up (nullopt: none has the name).
    [[nodiscard]] Result<LockedState> lock(const std::string& user_name,
                                           std::optional<uid_t> account_uid) const;

    // Deletes a user's state (root resetting a user). not_found if none.
    [[nodiscard]] Result<void> remove(const std::string& user_name) const;

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return m_directory; }

    // The user's state if a file exists, without creating one; nullopt
    // when there is none (a user who never logged in) or it belongs to
    // another account (see lock; it is dropped by the next lock, not here).
    // Locked while read.
    [[nodiscard]] Result<std::optional<UserState>> read_existing(
        const std::string& user_name) const;
    [[nodiscard]] Result<std::optional<UserState>> read_existing(
        const std::string& user_name, std::optional<uid_t> account_uid) const;

    // Names of the users with a state file (for `otpgate list`), sorted.
    [[nodiscard]] Result<std::vector<std::string>> user_names() const;

private:
    std::filesystem::path m_directory;
    std::chrono::milliseconds m_lock_timeout;
    Logger* m_logger = nullptr;
};

// Opens the state directory (creating it 0700 if missing) and checks that
// it belongs to us and is not writable by group or others. Other root-owned
// records (host_send_cap.hpp, the host key) live there too.
Result<UniqueFd> open_state_directory(const std::filesystem::path& directory);

// A folder of root's records inside the state directory (.enrollments,
// .store-cache, .store-offline): checked with lstat, so that a symbolic
// link in its place is refused, and it must be a directory owned by us
// with nothing for group and others (unsafe otherwise). not_found when
// it does not exist.
Result<void> check_private_subdirectory(const std::filesystem::path& directory);
// The same, made 0700 when missing (the state directory first, made or
// checked as every login does).
Result<void> make_private_subdirectory(const std::filesystem::path& directory);

// The rule every record in the state directory must meet (a regular file
// with one link, owned by us, nothing for group and others), and its words
// for the log.
bool is_private_record(const struct stat& info);
std::string private_record_rule();

// Slot encoding, exposed for tests of torn and corrupted records.
void encode_state_slot(const UserState& state, std::uint64_t sequence, std::uint8_t* slot);
std::optional<std::pair<UserState, std::uint64_t>> decode_state_slot(const std::uint8_t* slot);

}  // namespace otpgate::core
