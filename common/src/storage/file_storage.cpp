#include "file_storage.hpp"

#include "otpgate/core/state/host_send_cap.hpp"
#include "otpgate/core/state/remembered_host.hpp"
#include "otpgate/core/state/replay_fence.hpp"

namespace otpgate::core {
namespace {

class FileUserTransaction final : public UserTransaction {
public:
    FileUserTransaction(LockedState locked, std::string user_name,
                        const std::filesystem::path& state_dir,
                        std::chrono::milliseconds lock_timeout, Logger& logger)
        : m_locked(std::move(locked)),
          m_user(std::move(user_name)),
          m_state_dir(state_dir),
          m_lock_timeout(lock_timeout),
          m_logger(logger) {}

    UserState& state() noexcept override { return m_locked.state(); }

    Result<void> commit(Durability durability) override {
        Flush flush = Flush::now;
        if (durability == Durability::loss_harmless) {
            flush = Flush::by_kernel;
        } else if (durability == Durability::spent_step && m_covered_step &&
                   state().last_totp_step == m_covered_step) {
            // The fence, on disk already, keeps the step spent after a crash.
            flush = Flush::by_kernel;
        }
        return m_locked.commit(flush);
    }

    Result<StepAdmission> admit_spent_step(std::int64_t step_start,
                                           std::int64_t window_end) override {
        m_covered_step.reset();
        auto boot_id = current_boot_id();
        if (!boot_id) {
            return boot_id.error();
        }
        // Unread, the fence cannot tell whether a crash lost this step: an error.
        auto admission =
            admit_unflushed_step(m_state_dir, *boot_id, step_start, window_end, m_lock_timeout);
        if (!admission) {
            return admission.error();
        }
        switch (admission->verdict) {
            case FenceVerdict::covered:
                m_covered_step = state().last_totp_step;
                return StepAdmission::admitted;
            case FenceVerdict::uncovered:
                m_logger.warning("flushing the state of user " + m_user +
                                 " itself: " + admission->problem);
                return StepAdmission::admitted;
            case FenceVerdict::refused:
                m_logger.warning(
                    "code of user " + m_user +
                    " refused: the host restarted, and a code of its step may have been "
                    "accepted before without reaching the disk; codes of steps that "
                    "begin after " +
                    std::to_string(admission->refused_through) + " (Unix time) are accepted");
                return StepAdmission::refused;
            case FenceVerdict::refused_damaged:
                m_logger.error("code of user " + m_user + " refused: the replay fence in " +
                               m_state_dir.string() +
                               " was damaged, so codes of steps that begin up to " +
                               std::to_string(admission->refused_through) +
                               " (Unix time) may have been spent" +
                               (admission->problem.empty() ? "" : "; " + admission->problem));
                return StepAdmission::refused;
        }
        return make_error(ErrorKind::unavailable, "unknown verdict of the replay fence");
    }

    Result<ThrottleVerdict> reserve_host_sms(std::uint64_t cap, std::int64_t now) override {
        // Taken while the user's lock is held: always in this order.
        const auto host = reserve_host_send(m_state_dir, cap, now, m_logger, m_lock_timeout);
        if (!host) {
            return host.error();
        }
        return ThrottleVerdict{host->allowed, host->retry_after};
    }

private:
    LockedState m_locked;
    std::string m_user;
    std::filesystem::path m_state_dir;
    std::chrono::milliseconds m_lock_timeout;
    Logger& m_logger;
    // The step the fence covered at the last admission, if it did.
    std::optional<std::int64_t> m_covered_step;
};

}  // namespace

Result<Enrollment> FileStorage::load_enrollment(const UserAccount& account) {
    return std::visit([&](const auto& store) { return store.load(account); }, m_enrollments);
}

Result<void> FileStorage::save_enrollment(const UserAccount& account,
                                          const Enrollment& enrollment) {
    return std::visit([&](const auto& store) { return store.save(account, enrollment); },
                      m_enrollments);
}

Result<void> FileStorage::remove_enrollment(const UserAccount& account) {
    return std::visit([&](const auto& store) { return store.remove(account); }, m_enrollments);
}

std::optional<std::string> FileStorage::enrollment_location(const UserAccount& account) {
    const auto path =
        std::visit([&](const auto& store) { return store.path_of(account); }, m_enrollments);
    if (!path) {
        return std::nullopt;
    }
    return path->string();
}

Result<std::unique_ptr<UserTransaction>> FileStorage::transaction(Result<LockedState> locked,
                                                                  const std::string& user_name) {
    if (!locked) {
        return locked.error();
    }
    return std::unique_ptr<UserTransaction>(std::make_unique<FileUserTransaction>(
        std::move(locked.value()), user_name, m_state_dir, m_lock_timeout, m_logger));
}

Result<std::unique_ptr<UserTransaction>> FileStorage::begin(const std::string& user_name) {
    return transaction(m_states.lock(user_name), user_name);
}

Result<std::unique_ptr<UserTransaction>> FileStorage::begin(const std::string& user_name,
                                                            std::optional<uid_t> account_uid) {
    return transaction(m_states.lock(user_name, account_uid), user_name);
}

Result<std::optional<UserState>> FileStorage::read_state(const std::string& user_name) {
    return m_states.read_existing(user_name);
}

Result<void> FileStorage::remove_state(const std::string& user_name) {
    return m_states.remove(user_name);
}

Result<std::vector<std::string>> FileStorage::users_with_state() {
    return m_states.user_names();
}

Result<SecretBytes> FileStorage::remembered_host_key(RandomSource& random) {
    return load_host_key(m_state_dir, random);
}

}  // namespace otpgate::core
