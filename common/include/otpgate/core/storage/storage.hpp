// Where enrollments and login state are kept, behind one interface: the
// login flows, the otpgate command and otpgate-verify use only this, and
// open the configured store with open_storage() (open_storage.hpp). Today's
// files (file_storage.hpp) are the first implementation.
//
// The guarantees are the store's, not its callers':
// - Everything a login decides from the user's state is read, decided and
//   written in one UserTransaction: no other transaction of that user runs
//   meanwhile (files: the user's flock held from read to write; a database:
//   one transaction with the user's row locked), so of many logins racing
//   with one code exactly one sees it unused.
// - A TOTP step is accepted only once admit_spent_step() has admitted it,
//   and a success is returned only after the commit that spends it: the
//   step stays spent, crash or not.
// - Every failure is an error value, and every caller fails closed on it:
//   a code that cannot be recorded is refused. A lock or a connection is
//   never waited for longer than the configured lock_timeout.
// - An enrollment is replaced whole: a reader sees the old or the new one.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/state/send_throttle.hpp"
#include "otpgate/core/state/user_state.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {

// How soon a commit must survive a crash.
enum class Durability {
    // On stable storage when commit() returns.
    durable,
    // Seen at once by every later transaction, but may be lost in a crash:
    // only for changes whose loss is harmless (a wrong code not counted).
    loss_harmless,
    // Records the step admit_spent_step() admitted (and a success, whose
    // loss is harmless): as durable as the store's replay guarantee makes
    // it. Without an admitted step, the same as durable.
    spent_step,
};

enum class StepAdmission {
    admitted,  // the step may be recorded as spent and the code accepted
    refused,   // the store cannot vouch that the step was not spent before
};

// One user's login state, locked from begin to end: the only way to change
// it. Closing it (destroying it) without commit() changes nothing.
class UserTransaction {
public:
    virtual ~UserTransaction() = default;
    UserTransaction(const UserTransaction&) = delete;
    UserTransaction& operator=(const UserTransaction&) = delete;

    // The record as read when the transaction began, with the caller's changes.
    [[nodiscard]] virtual UserState& state() noexcept = 0;

    // Records state(); on failure the previous record stays as it was. May
    // be called more than once (each records what state() holds then).
    [[nodiscard]] virtual Result<void> commit(Durability durability = Durability::durable) = 0;

    // The next commit records the success of the login under way (its
    // code accepted): a store with an audit log may write the login's line
    // in that same transaction (see Storage::expect_login).
    virtual void mark_login_success() noexcept {}

    // Before a TOTP code is accepted: may the step that began at
    // `step_start` (Unix seconds, now in state().last_totp_step) be
    // recorded as spent? refused when the store cannot tell that it was not
    // spent already (files: a restart may have lost the write that spent
    // it); the caller then counts the code as a replay. When the store's
    // record of spent steps is damaged, every code whose step begins no
    // later than `window_end` (the end of the caller's window) is refused.
    // An error: nothing can be said, and the code is refused.
    [[nodiscard]] virtual Result<StepAdmission> admit_spent_step(std::int64_t step_start,
                                                                 std::int64_t window_end) = 0;

    // host_max_sms_per_hour: when fewer than `cap` SMS went out from this
    // host in the hour ending at `now`, one more is recorded and allowed.
    // Taken inside the user's transaction, always in this order.
    [[nodiscard]] virtual Result<ThrottleVerdict> reserve_host_sms(std::uint64_t cap,
                                                                   std::int64_t now) = 0;

protected:
    UserTransaction() = default;
};

// A line of the audit log of a shared store: a login's outcome or a change
// to a second factor, never a code, a secret or a destination.
struct AuditEvent {
    std::string service;  // the PAM service, or "otpgate", "otpgate-verify"
    std::string user_name;
    std::string remote_host;  // PAM_RHOST; empty for local logins and commands
    std::string event;        // "login", "enroll", "disable", "unlock", "import", ...
    std::string outcome;      // "success", "refused", "locked", "replayed", "unavailable", "done"
};

// An event as the store recorded it.
struct AuditRecord {
    std::int64_t at = 0;    // Unix seconds
    std::string host_name;  // the host that recorded it
    AuditEvent event;
};

struct AuditQuery {
    std::optional<std::string> user_name;
    std::optional<std::string> host_name;
    std::optional<std::int64_t> since;  // Unix seconds
    std::size_t limit = 1000;           // the newest ones
};

// Not const: a store may keep a connection, and opens it at first use.
class Storage {
public:
    virtual ~Storage() = default;
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    // -- The enrollment: what the user set up; changes only when they (or
    // root) enroll again.
    // not_found: not enrolled. unsafe: refused (the message says why).
    // corrupt: it could not be parsed.
    [[nodiscard]] virtual Result<Enrollment> load_enrollment(const UserAccount& account) = 0;
    // Replaces the enrollment whole (a reader sees the old or the new one).
    [[nodiscard]] virtual Result<void> save_enrollment(const UserAccount& account,
                                                       const Enrollment& enrollment) = 0;
    // not_found when there was none.
    [[nodiscard]] virtual Result<void> remove_enrollment(const UserAccount& account) = 0;
    // Where the enrollment is kept, for people ("/home/alice/.otpgate");
    // nullopt when there is nothing useful to show.
    [[nodiscard]] virtual std::optional<std::string> enrollment_location(
        const UserAccount& account) = 0;

    // -- The login state: what logins change (spent codes, sends, lockout,
    // verified destination, remembered hosts).
    // Begins the user's transaction, creating an empty record if none
    // exists. The record is tied to the account now holding the name (a
    // record of another uid is dropped, logged, and starts afresh);
    // `account_uid` is that account when the caller looked it up already
    // (nullopt: no account has the name), else it is looked up by name.
    [[nodiscard]] virtual Result<std::unique_ptr<UserTransaction>> begin(
        const std::string& user_name) = 0;
    [[nodiscard]] virtual Result<std::unique_ptr<UserTransaction>> begin(
        const std::string& user_name, std::optional<uid_t> account_uid) = 0;
    // For checking one code at a login: as begin() (with `known_uid` as
    // begin's account_uid when set, else looked up), except that a store
    // may hand out, without a lock, the record it read together with the
    // enrollment, and record only if nobody changed it since: commit() then
    // fails with ErrorKind::conflict when somebody did, and the caller
    // checks again in a transaction of begin().
    [[nodiscard]] virtual Result<std::unique_ptr<UserTransaction>> begin_check(
        const std::string& user_name, std::optional<uid_t> known_uid) {
        return known_uid ? begin(user_name, known_uid) : begin(user_name);
    }
    // The user's state, without creating any; nullopt when there is none
    // (or it belongs to another account).
    [[nodiscard]] virtual Result<std::optional<UserState>> read_state(
        const std::string& user_name) = 0;
    // Root resetting a user. not_found when there was none.
    [[nodiscard]] virtual Result<void> remove_state(const std::string& user_name) = 0;
    // Names of the users with a state (for `otpgate list`), sorted.
    [[nodiscard]] virtual Result<std::vector<std::string>> users_with_state() = 0;

    // -- The audit log. Files keep none (syslog is their record): record_event
    // does nothing there and audit_log() is not_found ("the audit log is
    // kept only with store = postgresql").
    [[nodiscard]] virtual Result<void> record_event(const AuditEvent& event) = 0;
    // A login begins (`login.outcome` empty; record_event follows with its
    // outcome): a store may record its success in the transaction that
    // records the code, and then leave record_event's line for it out.
    virtual void expect_login(const AuditEvent& login) { static_cast<void>(login); }
    // Oldest first.
    [[nodiscard]] virtual Result<std::vector<AuditRecord>> audit_log(const AuditQuery& query) = 0;

    // -- Host-wide: the key of remembered hosts (host_tag.hpp), made with
    // `random` on first use.
    [[nodiscard]] virtual Result<SecretBytes> remembered_host_key(RandomSource& random) = 0;

protected:
    Storage() = default;
};

}  // namespace otpgate::core
