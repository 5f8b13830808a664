// A user's login state on this host alone while the shared store is
// unreachable (`store_offline = cache`): the state files of the files
// store (state/state_store.hpp), in `<state_dir>/.store-offline/`, with
// the replay fence of state_dir, so replays, wrong codes and locks are
// kept here as `store = local` keeps them. A file there is what this host
// still owes the store: the next connection writes it back (merged into
// the user's row) and then removes it.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "offline_cache.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

inline std::filesystem::path offline_state_directory(const std::filesystem::path& state_dir) {
    return state_dir / ".store-offline";
}

// The user's offline transaction: the state file locked, with the spent
// codes of `cached` taken in (the newer step, the used backup codes of the
// same enrollment). Sends are refused: no code is sent during an outage.
Result<std::unique_ptr<UserTransaction>> begin_offline_transaction(
    const StateStore& states, const std::filesystem::path& state_dir, const std::string& user_name,
    uid_t account_uid, const CachedLogin& cached, std::chrono::milliseconds lock_timeout,
    Logger& logger);

// The row to write back: `stored` with what happened offline added. The
// later step; the union of used backup codes (of the same enrollment) and
// of wrong codes from the last success's second on (the newest
// max_recorded_failures); the later success and the later lock.
UserState merge_offline_state(UserState stored, const UserState& offline);

// The cached spent codes brought up to date with a row written back.
void update_cached_codes(CachedLogin& cached, const UserState& merged);

}  // namespace otpgate::core
