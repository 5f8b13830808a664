#include "offline_state.hpp"

#include <algorithm>

#include "file_storage.hpp"

namespace otpgate::core {
namespace {

// The files store's transaction, except that nothing is sent: the fleet's
// send limits live in the unreachable store.
class OfflineUserTransaction final : public UserTransaction {
public:
    OfflineUserTransaction(std::unique_ptr<UserTransaction> files, std::string user_name,
                           Logger& logger)
        : m_files(std::move(files)), m_user(std::move(user_name)), m_logger(logger) {}

    UserState& state() noexcept override { return m_files->state(); }

    Result<void> commit(Durability durability) override {
        auto committed = m_files->commit(durability);
        if (committed) {
            m_logger.warning("the state of user " + m_user +
                             " was recorded on this host only, while the shared store is "
                             "unreachable; it is written back when the store returns");
        }
        return committed;
    }

    Result<StepAdmission> admit_spent_step(std::int64_t step_start,
                                           std::int64_t window_end) override {
        return m_files->admit_spent_step(step_start, window_end);
    }

    Result<ThrottleVerdict> reserve_host_sms(std::uint64_t /*cap*/, std::int64_t /*now*/) override {
        return make_error(ErrorKind::unavailable,
                          "no code is sent while the shared store is unreachable");
    }

private:
    std::unique_ptr<UserTransaction> m_files;
    std::string m_user;
    Logger& m_logger;
};

std::optional<std::int64_t> later(std::optional<std::int64_t> a, std::optional<std::int64_t> b) {
    if (!a) {
        return b;
    }
    if (!b) {
        return a;
    }
    return std::max(*a, *b);
}

}  // namespace

Result<std::unique_ptr<UserTransaction>> begin_offline_transaction(
    const StateStore& states, const std::filesystem::path& state_dir, const std::string& user_name,
    uid_t account_uid, const CachedLogin& cached, std::chrono::milliseconds lock_timeout,
    Logger& logger) {
    auto locked = states.lock(user_name, account_uid);
    if (!locked) {
        return locked.error();
    }
    UserState& state = locked->state();
    state.last_totp_step = later(state.last_totp_step, cached.last_totp_step);
    if (state.enrollment_id.empty()) {
        state.enrollment_id = cached.state_enrollment_id;
        state.backup_used_mask = cached.backup_used_mask;
    } else if (state.enrollment_id == cached.state_enrollment_id) {
        state.backup_used_mask |= cached.backup_used_mask;
    }
    auto files =
        make_file_transaction(std::move(*locked), user_name, state_dir, lock_timeout, logger);
    return std::unique_ptr<UserTransaction>(
        std::make_unique<OfflineUserTransaction>(std::move(files), user_name, logger));
}

UserState merge_offline_state(UserState stored, const UserState& offline) {
    stored.last_totp_step = later(stored.last_totp_step, offline.last_totp_step);
    if (stored.enrollment_id.empty()) {
        stored.enrollment_id = offline.enrollment_id;
        stored.backup_used_mask = offline.backup_used_mask;
    } else if (stored.enrollment_id == offline.enrollment_id) {
        stored.backup_used_mask |= offline.backup_used_mask;
    }
    stored.last_success = std::max(stored.last_success, offline.last_success);
    stored.locked_at = std::max(stored.locked_at, offline.locked_at);
    auto& failures = stored.recent_failures;
    failures.insert(failures.end(), offline.recent_failures.begin(), offline.recent_failures.end());
    // A success ends the count; a wrong code of its very second is kept.
    const std::int64_t success = stored.last_success;
    failures.erase(std::remove_if(failures.begin(), failures.end(),
                                  [success](std::int64_t at) { return at < success; }),
                   failures.end());
    // A write-back repeated (its file could not be removed) adds nothing.
    std::sort(failures.begin(), failures.end());
    failures.erase(std::unique(failures.begin(), failures.end()), failures.end());
    if (failures.size() > max_recorded_failures) {
        failures.erase(failures.begin(),
                       failures.end() - static_cast<std::ptrdiff_t>(max_recorded_failures));
    }
    return stored;
}

void update_cached_codes(CachedLogin& cached, const UserState& merged) {
    cached.last_totp_step = later(cached.last_totp_step, merged.last_totp_step);
    if (cached.state_enrollment_id == merged.enrollment_id) {
        cached.backup_used_mask |= merged.backup_used_mask;
    } else {
        cached.state_enrollment_id = merged.enrollment_id;
        cached.backup_used_mask = merged.backup_used_mask;
    }
}

}  // namespace otpgate::core
