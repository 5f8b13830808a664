// Checking a typed code against the user's state and recording what it
// changes, all in one transaction of the storage (storage.hpp): the spent
// TOTP step or backup code, wrong codes and the lockout they lead to
// (lockout.hpp), the last success and the host to remember (host_tag.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/state/host_tag.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

enum class AttemptResult {
    accepted,
    rejected,     // wrong (counted toward the lockout)
    replayed,     // right but already used (counted like a wrong code)
    locked,       // not checked: the second factor is locked
    unavailable,  // the state could not be read or written
};

// What the state says before the user is asked.
struct RecordedStanding {
    bool host_remembered = false;
    std::optional<std::int64_t> lock_remaining;  // seconds
};

// One login's view of the user's state. One transaction of `storage` from
// read to write for each attempt, so that of many logins racing with one
// code exactly one sees it unused; never held while prompting. Logs
// verdicts (never codes).
class AttemptRecorder {
public:
    // `remember`: the tag of the remote host, when remember_host is on and
    // the login came from one; recorded with a success.
    AttemptRecorder(Storage& storage, const std::string& user_name, const Config& config,
                    Logger& logger, std::optional<HostTag> remember,
                    CheckPrimitives primitives = {})
        : m_storage(storage),
          m_user(user_name),
          m_config(config),
          m_logger(logger),
          m_remember(remember),
          m_cost(check_cost(config, std::move(primitives))) {}

    // Whether the host is remembered and whether a lock is on. nullopt when
    // the state cannot be read (the check that follows fails closed).
    std::optional<RecordedStanding> standing(std::int64_t now);
    // Whether a success is to be remembered for a host (and so whether a
    // remembered host can skip the prompt).
    [[nodiscard]] bool remembers_host() const noexcept { return m_remember.has_value(); }

    // The uid of the user's account, when the caller has looked it up (a
    // login has): every transaction then ties the state to that account
    // without looking the name up again.
    void set_account_uid(uid_t uid) noexcept { m_account_uid = uid; }

    // A typed TOTP or backup code. A valid code that cannot be recorded is
    // refused: unrecorded, it could be used again. While locked, the code
    // costs what check_code costs, and is not checked.
    AttemptResult check_and_record(const Enrollment& enrollment, std::string_view digits,
                                   std::int64_t now);

    // The code sent by SMS or email matched (checked by the caller): refused
    // while locked, else the success is recorded.
    AttemptResult accept_sent_code(const Enrollment& enrollment, std::int64_t now);

    // The code that confirms a new TOTP enrollment (not yet used by any
    // login): checked against the new secret alone, since the steps spent
    // so far were spent with another secret; refused while locked. When
    // accepted, the enrollment is adopted and its step recorded as spent
    // (flushed), so the confirming code cannot log in; a wrong one counts
    // toward the lockout.
    AttemptResult confirm_new_totp(const Enrollment& enrollment, std::string_view digits,
                                   std::int64_t now);

private:
    // Whether the storage lets the accepted TOTP step be spent; nullopt
    // when it cannot tell (logged), and the code is refused.
    std::optional<StepAdmission> admit_totp_step(UserTransaction& transaction,
                                                 const Enrollment& enrollment, std::int64_t step,
                                                 std::int64_t now);
    // False when the commit found the record changed (ErrorKind::conflict):
    // nothing was recorded or logged, and the attempt is to be checked
    // again. Otherwise `log_attempt` (the line saying what was refused)
    // comes first, then what the commit led to.
    [[nodiscard]] bool record_failure_and_commit(UserTransaction& transaction, std::int64_t now,
                                                 const std::function<void()>& log_attempt);
    // One check of `digits` in `transaction`; nullopt when its commit found
    // the record changed (nothing recorded).
    std::optional<AttemptResult> check_in(UserTransaction& transaction,
                                          const Enrollment& enrollment, std::string_view digits,
                                          std::int64_t now);
    [[nodiscard]] Result<std::unique_ptr<UserTransaction>> begin() const;
    bool refuse_if_locked(const UserState& state, std::int64_t now);

    Storage& m_storage;
    const std::string& m_user;
    const Config& m_config;
    Logger& m_logger;
    std::optional<HostTag> m_remember;
    std::optional<uid_t> m_account_uid;
    CheckCost m_cost;
    bool m_lock_logged = false;  // one "not checked: locked" line per login
};

}  // namespace otpgate::core
