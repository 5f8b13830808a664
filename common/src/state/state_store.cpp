#include "otpgate/core/state/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "little_endian.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/system/descriptor_io.hpp"
#include "otpgate/core/system/safe_file.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {
namespace {

Error state_error(ErrorKind kind, const std::filesystem::path& path, const std::string& what) {
    return make_error(kind, "state file " + path.string() + ": " + what);
}

bool check_mode(const struct stat& info, mode_t forbidden) {
    return info.st_uid == geteuid() && (info.st_mode & forbidden) == 0;
}

}  // namespace

Result<UniqueFd> open_state_directory(const std::filesystem::path& directory) {
    UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid() && errno == ENOENT) {
        if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
            return make_error(
                ErrorKind::unavailable,
                "cannot create state directory " + directory.string() + ": " + errno_text(errno));
        }
        dir.reset(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!dir.valid()) {
        return make_error(
            errno == ELOOP || errno == ENOTDIR ? ErrorKind::unsafe : ErrorKind::unavailable,
            "cannot open state directory " + directory.string() + ": " + errno_text(errno));
    }
    struct stat info {};
    if (fstat(dir.get(), &info) != 0) {
        return make_error(ErrorKind::unavailable, "cannot stat " + directory.string());
    }
    if (!check_mode(info, 0022)) {
        return make_error(ErrorKind::unsafe,
                          "state directory " + directory.string() + " must be owned by uid " +
                              std::to_string(geteuid()) + " and not writable by group or others");
    }
    return dir;
}

Result<void> check_private_subdirectory(const std::filesystem::path& directory) {
    struct stat info {};
    if (::lstat(directory.c_str(), &info) != 0) {
        if (errno == ENOENT) {
            return make_error(ErrorKind::not_found, directory.string() + " does not exist");
        }
        return make_error(ErrorKind::io,
                          "cannot inspect " + directory.string() + ": " + errno_text(errno));
    }
    if (!S_ISDIR(info.st_mode) || !check_mode(info, 0077)) {
        return make_error(ErrorKind::unsafe, directory.string() +
                                                 " must be a directory owned by uid " +
                                                 std::to_string(geteuid()) + " with mode 0700");
    }
    return {};
}

Result<void> make_private_subdirectory(const std::filesystem::path& directory) {
    if (auto state_dir = open_state_directory(directory.parent_path()); !state_dir) {
        return state_dir.error();
    }
    if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
        return make_error(ErrorKind::io,
                          "cannot create " + directory.string() + ": " + errno_text(errno));
    }
    return check_private_subdirectory(directory);
}

bool is_private_record(const struct stat& info) {
    return S_ISREG(info.st_mode) && info.st_nlink == 1 && check_mode(info, 0077);
}

std::string private_record_rule() {
    return "must be a regular file with one link, owned by uid " + std::to_string(geteuid()) +
           " and private to it";
}

namespace {

// Where create_state_file writes a user's first record before linking it
// into place under the user's name.
std::string temporary_name_prefix(const std::string& user_name) {
    return "." + user_name + ".new-";
}

// Makes the file appear complete or not at all: written and synced under a
// temporary name, then linked into place. If another login linked first,
// theirs is kept.
Result<void> create_state_file(int dir_fd, const std::string& name,
                               const std::filesystem::path& path,
                               std::chrono::milliseconds lock_timeout) {
    OpenSslRandom random;
    std::array<std::uint8_t, state_file_size> initial{};
    encode_state_slot(UserState{}, 0, initial.data());
    NewFile file;
    file.directory_fd = dir_fd;
    file.name = name;
    file.temporary_name = temporary_name_prefix(name) + random_hex(random, 8);
    file.kind = "state file";
    file.path = path;
    // Locked until the temporary name is gone: a racing login that opens
    // the file once it is linked waits for the lock, and then finds it with
    // the one link it insists on.
    file.lock_timeout = lock_timeout;
    auto created = create_file_by_link(
        file, std::string_view(reinterpret_cast<const char*>(initial.data()), initial.size()));
    if (!created) {
        return created.error();
    }
    return {};
}

}  // namespace

LockedState::LockedState(UniqueFd fd, std::filesystem::path path, UserState state,
                         std::uint64_t sequence, std::size_t live_slot)
    : m_fd(std::move(fd)),
      m_path(std::move(path)),
      m_state(std::move(state)),
      m_sequence(sequence),
      m_live_slot(live_slot) {}

Result<void> LockedState::commit(Flush flush) {
    const std::uint64_t next = m_sequence + 1;
    if (m_owner) {
        m_state.uid = m_owner;
    }
    std::array<std::uint8_t, state_slot_size> slot{};
    encode_state_slot(m_state, next, slot.data());
    // Always the slot we did not read from, whatever its sequence number
    // says, so the live record is never the one being overwritten.
    const std::size_t target_slot = 1 - m_live_slot;
    const auto offset = static_cast<off_t>(target_slot * state_slot_size);
    const ssize_t written = ::pwrite(m_fd.get(), slot.data(), slot.size(), offset);
    if (written != static_cast<ssize_t>(slot.size())) {
        const int error_number = written < 0 ? errno : EIO;
        return state_error(
            ErrorKind::io, m_path,
            "cannot write: " + errno_text(error_number) + "; the last record is kept");
    }
    if (flush == Flush::now && fdatasync(m_fd.get()) != 0) {
        return state_error(ErrorKind::io, m_path, "cannot sync: " + errno_text(errno));
    }
    m_sequence = next;
    m_live_slot = target_slot;
    return {};
}

namespace {

// For the log: which of the rules lock_and_read insists on a file breaks.
std::string what_is_wrong(const struct stat& info) {
    if (!S_ISREG(info.st_mode)) {
        return "it is not a regular file";
    }
    if (info.st_nlink != 1) {
        return "it has " + std::to_string(info.st_nlink) + " links";
    }
    if (info.st_uid != geteuid()) {
        return "it is owned by uid " + std::to_string(info.st_uid);
    }
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return std::string("it has mode ") + mode;
}

// A creation that linked its file into place but could not remove the
// temporary name (create_state_file goes on when that unlink fails), or
// was killed in between, left the file with a second name, and the one
// link every login insists on would refuse the user for good. Under the
// lock, that name is removed when it is one of this user's temporary
// names for this very file; any other second name stays, and the file is
// refused.
void remove_leftover_temporary_name(int dir_fd, const std::filesystem::path& directory,
                                    const std::string& user_name, const struct stat& file) {
    const std::string prefix = temporary_name_prefix(user_name);
    std::error_code error;
    for (std::filesystem::directory_iterator entries(directory, error);
         !error && entries != std::filesystem::directory_iterator(); entries.increment(error)) {
        const std::string name = entries->path().filename().string();
        struct stat info {};
        if (name.compare(0, prefix.size(), prefix) == 0 &&
            fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
            info.st_dev == file.st_dev && info.st_ino == file.st_ino) {
            ::unlinkat(dir_fd, name.c_str(), 0);
            return;
        }
    }
}

// Locks an open state file, checks it and reads the newest valid record.
Result<LockedState> lock_and_read(UniqueFd fd, int dir_fd, const std::filesystem::path& directory,
                                  const std::filesystem::path& path, const std::string& user_name,
                                  std::chrono::milliseconds lock_timeout) {
    // Checked once locked: see create_state_file.
    if (auto locked = lock_file(fd.get(), LockMode::exclusive, lock_timeout, path); !locked) {
        return locked.error();
    }
    struct stat info {};
    if (fstat(fd.get(), &info) != 0) {
        return state_error(ErrorKind::io, path, "cannot stat: " + errno_text(errno));
    }
    if (S_ISREG(info.st_mode) && info.st_nlink == 2) {
        remove_leftover_temporary_name(dir_fd, directory, user_name, info);
        if (fstat(fd.get(), &info) != 0) {
            return state_error(ErrorKind::io, path, "cannot stat: " + errno_text(errno));
        }
    }
    if (!is_private_record(info)) {
        return state_error(ErrorKind::unsafe, path,
                           private_record_rule() + " (" + what_is_wrong(info) + ")");
    }
    if (info.st_size != static_cast<off_t>(state_file_size)) {
        return state_error(ErrorKind::corrupt, path,
                           "has " + std::to_string(info.st_size) + " bytes, expected " +
                               std::to_string(state_file_size));
    }
    std::array<std::uint8_t, state_file_size + 1> bytes{};
    const ssize_t got = ::pread(fd.get(), bytes.data(), bytes.size(), 0);
    if (got != static_cast<ssize_t>(state_file_size)) {
        return state_error(ErrorKind::corrupt, path,
                           got < 0 ? "cannot read: " + errno_text(errno)
                                   : "has " + std::to_string(got) + " bytes, expected " +
                                         std::to_string(state_file_size));
    }
    // The slot that claims the higher sequence number (slot 1 on a tie) is
    // checked first and, when valid, is the newest valid record; only when
    // it is damaged is the other one checked. The same choice as checking
    // both, with one SHA-256 less at every read.
    const auto claimed = [&](std::size_t slot) {
        return little_endian::get_u64(bytes.data() + slot * state_slot_size + 8);
    };
    const std::size_t preferred = claimed(0) > claimed(1) ? 0 : 1;
    for (const std::size_t slot : {preferred, 1 - preferred}) {
        if (auto record = decode_state_slot(bytes.data() + slot * state_slot_size)) {
            return LockedState(std::move(fd), path, std::move(record->first), record->second, slot);
        }
    }
    return state_error(ErrorKind::corrupt, path,
                       "no valid record; refusing logins rather than forgetting spent codes "
                       "(`otpgate disable --user " +
                           user_name + "` as root resets the user)");
}

Error open_error(const std::filesystem::path& path, int error_number) {
    return state_error(
        error_number == ELOOP ? ErrorKind::unsafe : ErrorKind::unavailable, path,
        error_number == ELOOP ? "is a symbolic link" : "cannot open: " + errno_text(error_number));
}

constexpr int state_open_flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

// The uid of the account now named `user_name`; nullopt when none is. The
// name is checked first: nothing unusable is handed to the user database.
Result<std::optional<uid_t>> current_uid(const std::string& user_name) {
    if (auto valid = validate_user_name(user_name); !valid) {
        return valid.error();
    }
    auto account = lookup_user(user_name);
    if (account) {
        return std::optional<uid_t>(account->uid);
    }
    if (account.error().kind == ErrorKind::not_found) {
        return std::optional<uid_t>{};
    }
    return account.error();
}

bool belongs_to_another(const UserState& state, std::optional<uid_t> account_uid) {
    return account_uid && state.uid && *state.uid != *account_uid;
}

// A record without a uid is adopted (written with the next commit); one of
// another uid is replaced by a fresh record at once, so that it is dropped
// (and logged) once, whatever the caller does next.
Result<void> tie_to_account(LockedState& locked, const std::string& user_name,
                            std::optional<uid_t> account_uid, Logger* logger) {
    UserState& state = locked.state();
    if (!account_uid) {
        return {};
    }
    locked.set_owner(*account_uid);
    if (!belongs_to_another(state, account_uid)) {
        state.uid = account_uid;
        return {};
    }
    const uid_t previous = *state.uid;
    state = UserState{};
    state.uid = account_uid;
    if (auto committed = locked.commit(); !committed) {
        return committed.error();
    }
    if (logger != nullptr) {
        logger->warning("state of user " + user_name + " belonged to uid " +
                        std::to_string(previous) + ", now uid " + std::to_string(*account_uid) +
                        ": dropped (spent codes, lockout, verified destination, remembered "
                        "hosts)");
    }
    return {};
}

}  // namespace

Result<LockedState> StateStore::lock(const std::string& user_name) const {
    auto account_uid = current_uid(user_name);
    if (!account_uid) {
        return account_uid.error();
    }
    return lock(user_name, *account_uid);
}

Result<LockedState> StateStore::lock(const std::string& user_name,
                                     std::optional<uid_t> account_uid) const {
    if (auto valid = validate_user_name(user_name); !valid) {
        return valid.error();
    }
    auto dir = open_state_directory(m_directory);
    if (!dir) {
        return dir.error();
    }
    const std::filesystem::path path = m_directory / user_name;
    UniqueFd fd(::openat(dir->get(), user_name.c_str(), state_open_flags));
    if (!fd.valid() && errno == ENOENT) {
        if (auto created = create_state_file(dir->get(), user_name, path, m_lock_timeout);
            !created) {
            return created.error();
        }
        fd.reset(::openat(dir->get(), user_name.c_str(), state_open_flags));
    }
    if (!fd.valid()) {
        return open_error(path, errno);
    }
    auto locked =
        lock_and_read(std::move(fd), dir->get(), m_directory, path, user_name, m_lock_timeout);
    if (!locked) {
        return locked;
    }
    if (auto tied = tie_to_account(*locked, user_name, account_uid, m_logger); !tied) {
        return tied.error();
    }
    locked->keep_directory(std::move(dir.value()));
    return locked;
}

Result<std::optional<UserState>> StateStore::read_existing(const std::string& user_name) const {
    auto account_uid = current_uid(user_name);
    if (!account_uid) {
        return account_uid.error();
    }
    return read_existing(user_name, *account_uid);
}

Result<std::optional<UserState>> StateStore::read_existing(const std::string& user_name,
                                                           std::optional<uid_t> account_uid) const {
    if (auto valid = validate_user_name(user_name); !valid) {
        return valid.error();
    }
    const std::filesystem::path path = m_directory / user_name;
    UniqueFd dir(::open(m_directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid() && errno == ENOENT) {
        return std::optional<UserState>{};
    }
    if (!dir.valid()) {
        return open_error(m_directory, errno);
    }
    UniqueFd fd(::openat(dir.get(), user_name.c_str(), state_open_flags));
    if (!fd.valid() && errno == ENOENT) {
        return std::optional<UserState>{};
    }
    if (!fd.valid()) {
        return open_error(path, errno);
    }
    auto locked =
        lock_and_read(std::move(fd), dir.get(), m_directory, path, user_name, m_lock_timeout);
    if (!locked) {
        return locked.error();
    }
    if (belongs_to_another(locked->state(), account_uid)) {
        return std::optional<UserState>{};  // not this account's
    }
    return std::optional<UserState>(std::move(locked->state()));
}

Result<std::vector<std::string>> StateStore::user_names() const {
    std::error_code missing;
    if (std::filesystem::symlink_status(m_directory, missing).type() ==
        std::filesystem::file_type::not_found) {
        return std::vector<std::string>{};  // listing creates nothing
    }
    auto dir = open_state_directory(m_directory);
    if (!dir) {
        return dir.error();
    }
    std::vector<std::string> names;
    std::error_code error;
    std::filesystem::directory_iterator entries(m_directory, error);
    for (; !error && entries != std::filesystem::directory_iterator(); entries.increment(error)) {
        const std::string name = entries->path().filename().string();
        // Temporary files and host-wide records start with a dot, which no
        // user name may.
        std::error_code kind_error;
        if (validate_user_name(name) &&
            entries->symlink_status(kind_error).type() == std::filesystem::file_type::regular) {
            names.push_back(name);
        }
    }
    if (error) {
        return make_error(ErrorKind::unavailable,
                          "cannot list " + m_directory.string() + ": " + error.message());
    }
    std::sort(names.begin(), names.end());
    return names;
}

Result<void> StateStore::remove(const std::string& user_name) const {
    if (auto valid = validate_user_name(user_name); !valid) {
        return valid.error();
    }
    return remove_file_locked(m_directory / user_name, m_lock_timeout);
}

}  // namespace otpgate::core
