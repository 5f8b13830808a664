// A user's login state as the login flows read and change it: spent TOTP
// step and backup codes, the verified destination, sends, lockout and
// remembered hosts. Plain data: where and how it is kept is the storage's
// business (storage/storage.hpp); the file format is in state_store.hpp.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace otpgate::core {

inline constexpr std::size_t max_recorded_sends = 32;
inline constexpr std::size_t max_recorded_failures = 16;
inline constexpr std::size_t max_remembered_hosts = 8;
inline constexpr std::size_t host_tag_size = 16;

// A host from which the user passed the second factor: a keyed hash of the
// user and the address (see host_tag.hpp), never the address itself.
struct RememberedHost {
    std::array<std::uint8_t, host_tag_size> tag{};
    std::int64_t at = 0;  // when the user passed from there
    bool operator==(const RememberedHost&) const = default;
};

struct UserState {
    // The account (uid) the record belongs to. A name can outlive its
    // account (userdel, then useradd): a record of another uid is never
    // the state of the account now holding the name (StateStore::lock).
    // nullopt in records written before records carried it.
    std::optional<uid_t> uid;
    std::string enrollment_id;  // which enrollment the backup mask belongs to
    std::optional<std::int64_t> last_totp_step;
    std::uint64_t backup_used_mask = 0;
    // SHA-256 (hex) of the one SMS or email destination root has seen the
    // user prove they receive (see destination.hpp); empty for none. Kept
    // here, where the user cannot write, so that editing the enrollment
    // can never send codes to an unverified destination.
    std::string verified_destination;
    std::int64_t verified_at = 0;
    // When codes were sent (Unix seconds, oldest first, at most
    // max_recorded_sends): the per-user send throttle survives logins.
    std::vector<std::int64_t> recent_sends;
    // Fields added with access policies (records written before them read
    // as zero and empty). The last accepted code, 0 for none.
    std::int64_t last_success = 0;
    // Lockout (lockout.hpp): when the current lock began (0: none) and the
    // times of recent wrong codes, oldest first, at most max_recorded_failures.
    std::int64_t locked_at = 0;
    std::vector<std::int64_t> recent_failures;
    // Oldest first, at most max_remembered_hosts.
    std::vector<RememberedHost> remembered_hosts;
};

}  // namespace otpgate::core
