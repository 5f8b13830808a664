#include "file_storage.hpp"

#include <unistd.h>

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
        // In the directory the user's lock opened and checked: not opened again.
        auto admission =
            m_locked.directory_fd() >= 0
                ? admit_unflushed_step_in(m_locked.directory_fd(), m_state_dir, *boot_id,
                                          step_start, window_end, m_lock_timeout)
                : admit_unflushed_step(m_state_dir, *boot_id, step_start, window_end,
                                       m_lock_timeout);
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
        return ThrottleVerdict{host->allowed, host->retry_after, {}};
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

std::unique_ptr<UserTransaction> make_file_transaction(LockedState locked, std::string user_name,
                                                       const std::filesystem::path& state_dir,
                                                       std::chrono::milliseconds lock_timeout,
                                                       Logger& logger) {
    return std::make_unique<FileUserTransaction>(std::move(locked), std::move(user_name), state_dir,
                                                 lock_timeout, logger);
}

std::optional<StoreKind> FileStorage::fallback() const {
    const StoreKind other = other_store(m_configured);
    if (other == StoreKind::local && ::geteuid() != 0) {
        return std::nullopt;
    }
    return other;
}

Result<void> FileStorage::remove_from(StoreKind place, const UserAccount& account) const {
    if (place != m_configured) {
        // No file can exist where no path can be made (no usable home).
        if (auto path = m_places.path_of(place, account); !path) {
            return make_error(ErrorKind::not_found, path.error().message);
        }
    }
    return m_places.remove(place, account);
}

bool FileStorage::known_to_root(const UserAccount& account, const Enrollment& enrollment) const {
    const auto state = m_states.read_existing(account.name, account.uid);
    return state && state->has_value() && !(*state)->enrollment_id.empty() &&
           (*state)->enrollment_id == enrollment.id;
}

Result<Enrollment> FileStorage::load_enrollment(const UserAccount& account) {
    auto enrollment = m_places.load(m_configured, account);
    const auto other = fallback();
    if (enrollment || !holds_nothing(m_configured, enrollment.error()) || !other) {
        return enrollment;
    }
    auto elsewhere = m_places.load(*other, account);
    if (!elsewhere) {
        // Fails closed: an enrollment there that cannot be read is not "none".
        if (holds_nothing(*other, elsewhere.error())) {
            return enrollment;
        }
        return elsewhere;
    }
    if (*other == StoreKind::files && !known_to_root(account, *elsewhere)) {
        // The user can write that file: with root keeping enrollments, one
        // they made themselves must not stand in for one root never saw.
        m_logger.warning("ignored " + m_places.describe(*other, account) + " of user " +
                         account.name +
                         ": root's record of the user names no such enrollment, so it may "
                         "have been put there since; `otpgate store migrate --to local --user " +
                         account.name + "` moves it if it is the user's own");
        return enrollment;
    }
    m_logger.notice("the enrollment of user " + account.name + " was read from " +
                    m_places.describe(*other, account) + " (the " + std::string(to_string(*other)) +
                    " store), not from the configured " + std::string(to_string(m_configured)) +
                    " store; `otpgate store migrate --to " + std::string(to_string(m_configured)) +
                    "` moves it");
    return elsewhere;
}

Result<void> FileStorage::save_enrollment(const UserAccount& account,
                                          const Enrollment& enrollment) {
    if (auto saved = m_places.save(m_configured, account, enrollment); !saved) {
        return saved;
    }
    const auto other = fallback();
    if (!other) {
        return {};
    }
    // The new one is in place: an old secret must not stay readable elsewhere.
    if (auto removed = remove_from(*other, account);
        !removed && removed.error().kind != ErrorKind::not_found) {
        m_logger.error("saved the enrollment of user " + account.name + " in " +
                       m_places.describe(m_configured, account) +
                       ", but cannot remove its old copy in " + m_places.describe(*other, account) +
                       ": " + removed.error().message + "; remove that file");
    }
    return {};
}

Result<void> FileStorage::remove_enrollment(const UserAccount& account) {
    const auto configured = m_places.remove(m_configured, account);
    const auto other = fallback();
    const Result<void> elsewhere =
        other ? remove_from(*other, account) : make_error(ErrorKind::not_found, "not looked at");
    if (!configured && configured.error().kind != ErrorKind::not_found) {
        return configured;
    }
    if (!elsewhere && elsewhere.error().kind != ErrorKind::not_found) {
        return elsewhere;
    }
    if (configured || elsewhere) {
        return {};
    }
    return configured;  // not_found: neither place held one
}

std::optional<std::string> FileStorage::enrollment_location(const UserAccount& account) {
    const auto here = m_places.load(m_configured, account);
    const auto other = fallback();
    if (!here && holds_nothing(m_configured, here.error()) && other) {
        const auto elsewhere = m_places.load(*other, account);
        if (elsewhere || !holds_nothing(*other, elsewhere.error())) {
            return m_places.describe(*other, account) + " (the " + std::string(to_string(*other)) +
                   " store, not yet moved to the configured " +
                   std::string(to_string(m_configured)) + " store: `otpgate store migrate --to " +
                   std::string(to_string(m_configured)) + "`)";
        }
    }
    const auto path = m_places.path_of(m_configured, account);
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
    return make_file_transaction(std::move(locked.value()), user_name, m_state_dir, m_lock_timeout,
                                 m_logger);
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

Result<void> FileStorage::record_event(const AuditEvent& /*event*/) {
    return {};  // syslog, where every login and change is logged, is the files' record
}

Result<std::vector<AuditRecord>> FileStorage::audit_log(const AuditQuery& /*query*/) {
    return make_error(ErrorKind::not_found,
                      "the audit log is kept only with store = postgresql (with files, see the "
                      "system log)");
}

}  // namespace otpgate::core
