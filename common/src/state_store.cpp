#include "otpgate/core/state_store.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "otpgate/core/hex.hpp"
#include "otpgate/core/random.hpp"
#include "otpgate/core/safe_file.hpp"
#include "otpgate/core/user_account.hpp"

namespace otpgate::core {
namespace {

constexpr std::array<char, 8> slot_magic = {'O', 'T', 'P', 'G', 'S', 'T', '0', '1'};
constexpr std::size_t checksum_offset = state_slot_size - SHA256_DIGEST_LENGTH;
constexpr std::int64_t no_step = std::numeric_limits<std::int64_t>::min();

void put_u64(std::uint8_t* at, std::uint64_t value) {
    for (int i = 0; i < 8; ++i) {
        at[i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
}

void put_u32(std::uint8_t* at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        at[i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
}

std::uint32_t get_u32(const std::uint8_t* at) {
    std::uint32_t value = 0;
    for (int i = 3; i >= 0; --i) {
        value = (value << 8) | at[i];
    }
    return value;
}

std::uint64_t get_u64(const std::uint8_t* at) {
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i) {
        value = (value << 8) | at[i];
    }
    return value;
}

Error state_error(ErrorKind kind, const std::filesystem::path& path, const std::string& what) {
    return make_error(kind, "state file " + path.string() + ": " + what);
}

bool check_mode(const struct stat& info, mode_t forbidden) {
    return info.st_uid == geteuid() && (info.st_mode & forbidden) == 0;
}

Result<UniqueFd> open_state_directory(const std::filesystem::path& directory) {
    UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid() && errno == ENOENT) {
        if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
            return make_error(ErrorKind::unavailable, "cannot create state directory " +
                                                          directory.string() + ": " +
                                                          errno_text(errno));
        }
        dir.reset(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!dir.valid()) {
        return make_error(errno == ELOOP || errno == ENOTDIR ? ErrorKind::unsafe : ErrorKind::unavailable,
                          "cannot open state directory " + directory.string() + ": " +
                              errno_text(errno));
    }
    struct stat info {};
    if (fstat(dir.get(), &info) != 0) {
        return make_error(ErrorKind::unavailable, "cannot stat " + directory.string());
    }
    if (!check_mode(info, 0022)) {
        return make_error(ErrorKind::unsafe, "state directory " + directory.string() +
                                                 " must be owned by uid " +
                                                 std::to_string(geteuid()) +
                                                 " and not writable by group or others");
    }
    return dir;
}

// Makes the file appear complete or not at all: written and synced under a
// temporary name, then linked into place. If another login linked first,
// theirs is kept.
Result<void> create_state_file(int dir_fd, const std::string& name, const std::filesystem::path& path) {
    OpenSslRandom random;
    const std::string temp_name = "." + name + ".new-" + random_hex(random, 8);
    UniqueFd temp(::openat(dir_fd, temp_name.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!temp.valid()) {
        return state_error(ErrorKind::io, path, "cannot create: " + errno_text(errno));
    }
    std::array<std::uint8_t, state_file_size> initial{};
    encode_state_slot(UserState{}, 0, initial.data());
    const ssize_t written = ::pwrite(temp.get(), initial.data(), initial.size(), 0);
    // Locked until the temporary name is gone (temp closes on return): a
    // racing login that opens the file once it is linked waits for the lock,
    // and then finds it with the one link it insists on.
    const bool ok = written == static_cast<ssize_t>(initial.size()) && fchmod(temp.get(), 0600) == 0 &&
                    fsync(temp.get()) == 0 && flock(temp.get(), LOCK_EX) == 0;
    const int error_number = errno;
    bool linked = false;
    int link_error = 0;
    if (ok) {
        linked = ::linkat(dir_fd, temp_name.c_str(), dir_fd, name.c_str(), 0) == 0;
        link_error = errno;
    }
    ::unlinkat(dir_fd, temp_name.c_str(), 0);
    if (!ok) {
        return state_error(ErrorKind::io, path, "cannot write: " + errno_text(error_number));
    }
    if (!linked && link_error != EEXIST) {
        return state_error(ErrorKind::io, path, "cannot create: " + errno_text(link_error));
    }
    if (fsync(dir_fd) != 0) {
        return state_error(ErrorKind::io, path, "cannot sync its directory: " + errno_text(errno));
    }
    return {};
}

}  // namespace

void encode_state_slot(const UserState& state, std::uint64_t sequence, std::uint8_t* slot) {
    std::memset(slot, 0, state_slot_size);
    std::memcpy(slot, slot_magic.data(), slot_magic.size());
    put_u64(slot + 8, sequence);
    if (const auto id = hex_decode(state.enrollment_id); id && id->size() == 16) {
        std::memcpy(slot + 16, id->data(), 16);
    }
    put_u64(slot + 32, static_cast<std::uint64_t>(state.last_totp_step.value_or(no_step)));
    put_u64(slot + 40, state.backup_used_mask);
    if (const auto hash = hex_decode(state.verified_destination); hash && hash->size() == 32) {
        std::memcpy(slot + 48, hash->data(), 32);
    }
    put_u64(slot + 80, static_cast<std::uint64_t>(state.verified_at));
    // The newest sends, as 32-bit Unix times (good until 2106).
    const std::size_t sends = std::min(state.recent_sends.size(), max_recorded_sends);
    const std::size_t first = state.recent_sends.size() - sends;
    slot[88] = static_cast<std::uint8_t>(sends);
    for (std::size_t i = 0; i < sends; ++i) {
        const auto when = static_cast<std::uint64_t>(std::max<std::int64_t>(0, state.recent_sends[first + i]));
        put_u32(slot + 96 + 4 * i, static_cast<std::uint32_t>(std::min<std::uint64_t>(when, 0xffffffffU)));
    }
    // Bytes 224 up to the checksum are reserved for later fields and stay zero.
    SHA256(slot, checksum_offset, slot + checksum_offset);
}

std::optional<std::pair<UserState, std::uint64_t>> decode_state_slot(const std::uint8_t* slot) {
    if (std::memcmp(slot, slot_magic.data(), slot_magic.size()) != 0) {
        return std::nullopt;
    }
    std::array<std::uint8_t, SHA256_DIGEST_LENGTH> checksum{};
    SHA256(slot, checksum_offset, checksum.data());
    if (std::memcmp(checksum.data(), slot + checksum_offset, checksum.size()) != 0) {
        return std::nullopt;
    }
    UserState state;
    static const std::array<std::uint8_t, 16> no_id{};
    if (std::memcmp(slot + 16, no_id.data(), no_id.size()) != 0) {
        state.enrollment_id = hex_encode(slot + 16, 16);
    }
    const auto step = static_cast<std::int64_t>(get_u64(slot + 32));
    if (step != no_step) {
        state.last_totp_step = step;
    }
    state.backup_used_mask = get_u64(slot + 40);
    static const std::array<std::uint8_t, 32> no_hash{};
    if (std::memcmp(slot + 48, no_hash.data(), no_hash.size()) != 0) {
        state.verified_destination = hex_encode(slot + 48, 32);
    }
    state.verified_at = static_cast<std::int64_t>(get_u64(slot + 80));
    const std::size_t sends = std::min<std::size_t>(slot[88], max_recorded_sends);
    for (std::size_t i = 0; i < sends; ++i) {
        state.recent_sends.push_back(static_cast<std::int64_t>(get_u32(slot + 96 + 4 * i)));
    }
    return std::make_pair(std::move(state), get_u64(slot + 8));
}

LockedState::LockedState(UniqueFd fd, std::filesystem::path path, UserState state,
                         std::uint64_t sequence, std::size_t live_slot)
    : m_fd(std::move(fd)),
      m_path(std::move(path)),
      m_state(std::move(state)),
      m_sequence(sequence),
      m_live_slot(live_slot) {}

Result<void> LockedState::commit() {
    const std::uint64_t next = m_sequence + 1;
    std::array<std::uint8_t, state_slot_size> slot{};
    encode_state_slot(m_state, next, slot.data());
    // Always the slot we did not read from, whatever its sequence number
    // says, so the live record is never the one being overwritten.
    const std::size_t target_slot = 1 - m_live_slot;
    const auto offset = static_cast<off_t>(target_slot * state_slot_size);
    const ssize_t written = ::pwrite(m_fd.get(), slot.data(), slot.size(), offset);
    if (written != static_cast<ssize_t>(slot.size())) {
        const int error_number = written < 0 ? errno : EIO;
        return state_error(ErrorKind::io, m_path,
                           "cannot write: " + errno_text(error_number) + "; the last record is kept");
    }
    if (fdatasync(m_fd.get()) != 0) {
        return state_error(ErrorKind::io, m_path, "cannot sync: " + errno_text(errno));
    }
    m_sequence = next;
    m_live_slot = target_slot;
    return {};
}

Result<LockedState> StateStore::lock(const std::string& user_name) const {
    if (auto valid = validate_user_name(user_name); !valid) {
        return valid.error();
    }
    auto dir = open_state_directory(m_directory);
    if (!dir) {
        return dir.error();
    }
    const std::filesystem::path path = m_directory / user_name;
    const int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    UniqueFd fd(::openat(dir->get(), user_name.c_str(), flags));
    if (!fd.valid() && errno == ENOENT) {
        if (auto created = create_state_file(dir->get(), user_name, path); !created) {
            return created.error();
        }
        fd.reset(::openat(dir->get(), user_name.c_str(), flags));
    }
    if (!fd.valid()) {
        return state_error(errno == ELOOP ? ErrorKind::unsafe : ErrorKind::unavailable, path,
                           errno == ELOOP ? "is a symbolic link" : "cannot open: " + errno_text(errno));
    }
    // Checked once locked: see create_state_file.
    if (lock_exclusive(fd.get()) != 0) {
        return state_error(ErrorKind::io, path, "cannot lock: " + errno_text(errno));
    }
    struct stat info {};
    if (fstat(fd.get(), &info) != 0) {
        return state_error(ErrorKind::io, path, "cannot stat: " + errno_text(errno));
    }
    if (!S_ISREG(info.st_mode) || info.st_nlink != 1 || !check_mode(info, 0077)) {
        return state_error(ErrorKind::unsafe, path,
                           "must be a regular file with one link, owned by uid " +
                               std::to_string(geteuid()) + " and private to it");
    }
    std::array<std::uint8_t, state_file_size + 1> bytes{};
    const ssize_t got = ::pread(fd.get(), bytes.data(), bytes.size(), 0);
    if (got != static_cast<ssize_t>(state_file_size)) {
        return state_error(ErrorKind::corrupt, path,
                           got < 0 ? "cannot read: " + errno_text(errno)
                                   : "has " + std::to_string(got) + " bytes, expected " +
                                         std::to_string(state_file_size));
    }
    auto first = decode_state_slot(bytes.data());
    auto second = decode_state_slot(bytes.data() + state_slot_size);
    if (!first && !second) {
        return state_error(ErrorKind::corrupt, path,
                           "no valid record; refusing logins rather than forgetting spent codes "
                           "(`otpgate disable --user " + user_name + "` as root resets the user)");
    }
    const std::size_t live_slot = !second || (first && first->second > second->second) ? 0 : 1;
    auto& newest = live_slot == 0 ? first : second;
    return LockedState(std::move(fd), path, std::move(newest->first), newest->second, live_slot);
}

Result<void> StateStore::remove(const std::string& user_name) const {
    if (auto valid = validate_user_name(user_name); !valid) {
        return valid.error();
    }
    return remove_file_locked(m_directory / user_name);
}

}  // namespace otpgate::core
