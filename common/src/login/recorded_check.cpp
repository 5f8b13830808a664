#include "otpgate/core/login/recorded_check.hpp"

#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/state/lockout.hpp"

namespace otpgate::core {
namespace {

void record_success_in(UserState& state, std::int64_t now, const std::optional<HostTag>& remember) {
    record_success(state, now);
    if (remember) {
        remember_host(state, *remember, now);
    }
}

}  // namespace

std::optional<StepAdmission> AttemptRecorder::admit_totp_step(UserTransaction& transaction,
                                                              const Enrollment& enrollment,
                                                              std::int64_t step, std::int64_t now) {
    const std::int64_t period = enrollment.totp.period;
    const std::int64_t window_end =
        (totp_step(now, enrollment.totp.period) + static_cast<std::int64_t>(m_config.totp_window)) *
        period;
    auto admission = transaction.admit_spent_step(step * period, window_end);
    if (!admission) {
        m_logger.error("refusing a valid code of user " + m_user + ": " +
                       admission.error().message);
        return std::nullopt;
    }
    return *admission;
}

Result<std::unique_ptr<UserTransaction>> AttemptRecorder::begin() const {
    return m_account_uid ? m_storage.begin(m_user, m_account_uid) : m_storage.begin(m_user);
}

std::optional<RecordedStanding> AttemptRecorder::standing(std::int64_t now) {
    auto opened = begin();
    if (!opened) {
        m_logger.debug("cannot read the state of user " + m_user +
                       " before asking: " + opened.error().message);
        return std::nullopt;
    }
    RecordedStanding standing;
    const UserState& state = (*opened)->state();
    standing.lock_remaining = lock_remaining(state, m_config.policy.lockout, now);
    standing.host_remembered =
        m_remember && host_remembered(state, *m_remember, now, m_config.policy.remember_host);
    return standing;
}

bool AttemptRecorder::refuse_if_locked(const UserState& state, std::int64_t now) {
    const auto remaining = lock_remaining(state, m_config.policy.lockout, now);
    if (!remaining) {
        return false;
    }
    if (!m_lock_logged) {
        m_logger.notice("code of user " + m_user +
                        " not checked: the second factor is locked for " +
                        std::to_string(*remaining) + " more s");
        m_lock_logged = true;
    }
    return true;
}

bool AttemptRecorder::record_failure_and_commit(UserTransaction& transaction, std::int64_t now,
                                                const std::function<void()>& log_attempt) {
    const LockoutPolicy& policy = m_config.policy.lockout;
    const bool lock_started = record_failure(transaction.state(), policy, now);
    // A crash may forget a wrong code (a fresh attempt after a restart),
    // never a lock that began.
    auto saved = transaction.commit(lock_started ? Durability::durable : Durability::loss_harmless);
    if (!saved && saved.error().kind == ErrorKind::conflict) {
        return false;  // checked again: its line comes from that check
    }
    log_attempt();
    if (!saved) {
        m_logger.error("cannot record a wrong code of user " + m_user + ": " +
                       saved.error().message);
        return true;
    }
    if (lock_started) {
        m_logger.warning("second factor of user " + m_user + " locked for " +
                         std::to_string(policy.duration) + " s after " +
                         std::to_string(policy.max_failures) + " wrong codes within " +
                         std::to_string(policy.window) + " s");
    }
    return true;
}

AttemptResult AttemptRecorder::check_and_record(const Enrollment& enrollment,
                                                std::string_view digits, std::int64_t now) {
    // First in the store's quickest transaction (maybe the record read
    // with the enrollment, unlocked); when another login changed the
    // record meanwhile, once more under the lock, where no change can come.
    auto opened = m_storage.begin_check(m_user, m_account_uid);
    for (int round = 0; round < 2; ++round) {
        if (!opened) {
            m_logger.error("cannot check the code of user " + m_user + ": " +
                           opened.error().message);
            return AttemptResult::unavailable;
        }
        if (const auto result = check_in(**opened, enrollment, digits, now)) {
            return *result;
        }
        opened->reset();  // ends the transaction before the next begins
        m_logger.debug("the record of user " + m_user +
                       " changed during the login; checking the code again");
        opened = begin();
    }
    m_logger.error("cannot check the code of user " + m_user +
                   ": its record changed again under the lock");
    return AttemptResult::unavailable;
}

std::optional<AttemptResult> AttemptRecorder::check_in(UserTransaction& transaction,
                                                       const Enrollment& enrollment,
                                                       std::string_view digits, std::int64_t now) {
    UserState& state = transaction.state();
    if (refuse_if_locked(state, now)) {
        check_nothing(digits, now, m_cost);
        return AttemptResult::locked;
    }
    const CodeVerdict verdict = check_code(enrollment, state, digits, now, m_cost);
    switch (verdict) {
        case CodeVerdict::accepted_totp:
        case CodeVerdict::accepted_backup: {
            // A spent backup code is durable at once; a spent TOTP step as
            // the storage's replay guarantee makes it, once it admitted it.
            Durability durability = Durability::durable;
            if (verdict == CodeVerdict::accepted_totp) {
                const auto admission =
                    admit_totp_step(transaction, enrollment, *state.last_totp_step, now);
                if (!admission) {
                    return AttemptResult::unavailable;
                }
                if (*admission == StepAdmission::refused) {
                    if (!record_failure_and_commit(transaction, now, [] {})) {
                        return std::nullopt;
                    }
                    return AttemptResult::replayed;
                }
                durability = Durability::spent_step;
            }
            record_success_in(state, now, m_remember);
            transaction.mark_login_success();
            if (auto saved = transaction.commit(durability); !saved) {
                if (saved.error().kind == ErrorKind::conflict) {
                    return std::nullopt;
                }
                // Without a durable record the code could be used again.
                m_logger.error("refusing a valid code of user " + m_user +
                               " because it cannot be recorded: " + saved.error().message);
                return AttemptResult::unavailable;
            }
            if (verdict == CodeVerdict::accepted_backup) {
                const auto used =
                    static_cast<unsigned>(__builtin_popcountll(state.backup_used_mask));
                m_logger.notice("user " + m_user + " authenticated with a backup code (" +
                                std::to_string(enrollment.backup.hashes_hex.size() - used) +
                                " left)");
            } else {
                m_logger.info("user " + m_user + " authenticated with a TOTP code");
            }
            return AttemptResult::accepted;
        }
        case CodeVerdict::replayed:
        case CodeVerdict::wrong: break;
    }
    const auto log_attempt = [&] {
        if (verdict == CodeVerdict::replayed) {
            m_logger.warning("replayed code for user " + m_user + " refused");
        } else {
            m_logger.notice("wrong code for user " + m_user + " (" + std::to_string(digits.size()) +
                            " digits)");
        }
    };
    if (!record_failure_and_commit(transaction, now, log_attempt)) {
        return std::nullopt;
    }
    return verdict == CodeVerdict::replayed ? AttemptResult::replayed : AttemptResult::rejected;
}

AttemptResult AttemptRecorder::accept_sent_code(const Enrollment& enrollment, std::int64_t now) {
    auto opened = begin();
    if (!opened) {
        m_logger.error("cannot record the login of user " + m_user + ": " + opened.error().message);
        return AttemptResult::unavailable;
    }
    UserTransaction& transaction = **opened;
    if (refuse_if_locked(transaction.state(), now)) {
        return AttemptResult::locked;
    }
    adopt_enrollment(transaction.state(), enrollment);
    record_success_in(transaction.state(), now, m_remember);
    transaction.mark_login_success();
    if (auto saved = transaction.commit(); !saved) {
        m_logger.error("cannot record the login of user " + m_user + ": " + saved.error().message);
        return AttemptResult::unavailable;
    }
    return AttemptResult::accepted;
}

AttemptResult AttemptRecorder::confirm_new_totp(const Enrollment& enrollment,
                                                std::string_view digits, std::int64_t now) {
    auto opened = begin();
    if (!opened) {
        m_logger.error("cannot confirm the new enrollment of user " + m_user + ": " +
                       opened.error().message);
        return AttemptResult::unavailable;
    }
    UserTransaction& transaction = **opened;
    UserState& state = transaction.state();
    if (refuse_if_locked(state, now)) {
        return AttemptResult::locked;
    }
    const TotpVerdict verdict = verify_totp(enrollment.totp_secret, digits, now, enrollment.totp,
                                            m_config.totp_window, std::nullopt);
    if (enrollment.method != Method::totp || verdict.match != TotpMatch::accepted) {
        const auto log_attempt = [&] {
            m_logger.notice("wrong confirming code for the new enrollment of user " + m_user +
                            " (" + std::to_string(digits.size()) + " digits)");
        };
        (void)record_failure_and_commit(transaction, now, log_attempt);  // locked: no conflict
        return AttemptResult::rejected;
    }
    adopt_enrollment(state, enrollment);
    if (!state.last_totp_step || *state.last_totp_step < verdict.step) {
        state.last_totp_step = verdict.step;
    }
    if (auto saved = transaction.commit(); !saved) {
        m_logger.error("cannot record the confirming code of user " + m_user + ": " +
                       saved.error().message);
        return AttemptResult::unavailable;
    }
    m_logger.info("user " + m_user + " confirmed a new TOTP enrollment; its code is spent");
    return AttemptResult::accepted;
}

}  // namespace otpgate::core
