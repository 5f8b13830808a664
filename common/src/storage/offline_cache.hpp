// This host's copy of what a user needs to log in while the shared store
// is unreachable (`store_offline = cache`): one file per user in
// `<state_dir>/.store-cache/`, root's alone (0600 in a 0700 folder,
// opened without following links, replaced whole: written, synced,
// renamed), holding one sealed box (primitives/sealed_box.hpp) under
// store_key. The box's associated data names its purpose, the user and
// this host, so a file copied to another user's name or from another host
// does not open. The layout: docs/state-records.md.
//
// Inside: the account's uid, when the user last logged in here with the
// store reachable (what store_cache_ttl counts from), the enrollment, and
// the spent codes as this host last saw them commit, so that a code used
// here just before an outage cannot be used again here during it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/primitives/result.hpp"

namespace otpgate::core {

struct CachedLogin {
    uid_t uid = 0;
    std::int64_t online_at = 0;  // Unix seconds
    Enrollment enrollment;
    // The spent codes (UserState's fields of the same names).
    std::string state_enrollment_id;
    std::optional<std::int64_t> last_totp_step;
    std::uint64_t backup_used_mask = 0;
};

class OfflineCache {
public:
    OfflineCache(const std::filesystem::path& state_dir, std::string host_name,
                 std::chrono::milliseconds lock_timeout)
        : m_directory(state_dir / ".store-cache"),
          m_host_name(std::move(host_name)),
          m_lock_timeout(lock_timeout) {}

    [[nodiscard]] Result<void> save(std::span<const std::uint8_t> key, const std::string& user_name,
                                    const CachedLogin& login) const;
    // not_found: none. unsafe: the file or its folder is not root's alone
    // (a symbolic link included). corrupt: it does not open with `key`
    // for this user and host, or does not parse.
    [[nodiscard]] Result<CachedLogin> load(std::span<const std::uint8_t> key,
                                           const std::string& user_name) const;
    // not_found when there was none.
    [[nodiscard]] Result<void> remove(const std::string& user_name) const;

    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return m_directory; }

private:
    std::filesystem::path m_directory;
    std::string m_host_name;
    std::chrono::milliseconds m_lock_timeout;
};

}  // namespace otpgate::core
