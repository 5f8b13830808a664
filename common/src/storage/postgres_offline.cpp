// The shared store's offline side (store_offline = cache): logins against
// this host's cached copies while the store is unreachable, the copies
// renewed at each success, and what was recorded offline written back at
// the next connection. What it allows and what it cannot guarantee:
// otpgate.conf(5), store_offline.
#include <chrono>
#include <ctime>

#include "offline_state.hpp"
#include "postgres_rows.hpp"
#include "postgres_storage.hpp"

namespace otpgate::core {
namespace {

std::string utc_time(std::int64_t unix_time) {
    const auto seconds = static_cast<std::time_t>(unix_time);
    std::tm parts{};
    char text[32] = "?";
    if (::gmtime_r(&seconds, &parts) != nullptr) {
        std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
    }
    return text;
}

std::string step_text(const std::optional<std::int64_t>& step) {
    return step ? std::to_string(*step) : std::string("none");
}

}  // namespace

Result<CachedLogin> PostgresStorage::fresh_cached_login(const std::string& user_name) {
    const std::string reason = "the shared store is unreachable (" + *m_offline_reason + ")";
    auto cached = m_cache.load(m_key, user_name);
    if (!cached) {
        if (cached.error().kind == ErrorKind::not_found) {
            return make_error(ErrorKind::unavailable,
                              reason + ", and user " + user_name +
                                  " has no offline copy on this host (no login here within "
                                  "store_cache_ttl)");
        }
        return make_error(cached.error().kind, reason + ", and the offline copy of user " +
                                                   user_name +
                                                   " is refused: " + cached.error().message);
    }
    const std::int64_t now = std::time(nullptr);
    if (now - cached->online_at > static_cast<std::int64_t>(m_config.cache_ttl)) {
        forget_cached_login(user_name);
        return make_error(ErrorKind::unavailable,
                          reason + ", and the offline copy of user " + user_name +
                              " is too old: their last login here with the store reachable was " +
                              utc_time(cached->online_at) + ", more than store_cache_ttl (" +
                              std::to_string(m_config.cache_ttl) + " s) ago; it was removed");
    }
    return cached;
}

Result<Enrollment> PostgresStorage::load_cached_enrollment(const UserAccount& account) {
    auto cached = fresh_cached_login(account.name);
    if (!cached) {
        return cached.error();
    }
    if (cached->uid != account.uid) {
        return make_error(ErrorKind::unavailable,
                          "the shared store is unreachable, and the offline copy of user " +
                              account.name + " belongs to uid " + std::to_string(cached->uid) +
                              ", not to the account now holding the name");
    }
    m_logger.warning("the shared store is unreachable (" + *m_offline_reason + "): user " +
                     account.name +
                     " logs in against this host's cached enrollment (last login here with the "
                     "store reachable: " +
                     utc_time(cached->online_at) +
                     "); codes are checked against this host's record only, and written back "
                     "when the store returns");
    return std::move(cached->enrollment);
}

Result<std::unique_ptr<UserTransaction>> PostgresStorage::begin_offline(
    const std::string& user_name, std::optional<uid_t> account_uid, const Error& unreachable) {
    if (!account_uid) {
        return unreachable;
    }
    auto cached = fresh_cached_login(user_name);
    if (!cached) {
        return cached.error();
    }
    if (cached->uid != *account_uid) {
        return unreachable;
    }
    return begin_offline_transaction(m_offline_states, m_state_dir, user_name, *account_uid,
                                     *cached, m_lock_timeout, m_logger);
}

void PostgresStorage::forget_cached_login(const std::string& user_name) {
    if (auto removed = m_cache.remove(user_name);
        !removed && removed.error().kind != ErrorKind::not_found) {
        m_logger.error("cannot remove the offline copy of user " + user_name + ": " +
                       removed.error().message);
    }
}

void PostgresStorage::note_success(const std::string& user_name, const UserState& state) {
    if (m_config.offline != DatabaseStoreConfig::Offline::cache) {
        return;
    }
    const auto loaded = m_loaded.find(user_name);
    if (loaded == m_loaded.end() || !state.uid ||
        (!state.enrollment_id.empty() && state.enrollment_id != loaded->second.id)) {
        return;  // not the enrollment this login checked (a command's change)
    }
    CachedLogin login;
    login.uid = *state.uid;
    login.online_at = state.last_success;
    login.enrollment = loaded->second;
    login.state_enrollment_id = state.enrollment_id;
    login.last_totp_step = state.last_totp_step;
    login.backup_used_mask = state.backup_used_mask;
    if (auto saved = m_cache.save(m_key, user_name, login); !saved) {
        m_logger.error("cannot keep this host's offline copy of user " + user_name + ": " +
                       saved.error().message + "; during an outage the user cannot log in here");
    }
}

Result<void> PostgresStorage::write_back_offline_states() {
    auto names = m_offline_states.user_names();  // nothing to do: one look at the folder
    if (!names) {
        m_logger.error("cannot look for states recorded while the shared store was unreachable: " +
                       names.error().message);
        return {};
    }
    const auto give_up_at = std::chrono::steady_clock::now() + m_config.timeout;
    for (std::size_t i = 0; i < names->size(); ++i) {
        const std::string& user_name = (*names)[i];
        if (std::chrono::steady_clock::now() >= give_up_at) {
            m_logger.notice("left " + std::to_string(names->size() - i) +
                            " offline states for the next connection to write back");
            break;
        }
        auto offline = m_offline_states.lock(user_name, std::nullopt);
        if (!offline) {
            m_logger.error("cannot write back the offline state of user " + user_name + ": " +
                           offline.error().message);
            continue;
        }
        if (auto written = write_back(user_name, *offline); !written) {
            if (m_failure) {
                return written.error();  // the connection is lost
            }
            m_logger.error("cannot write back the offline state of user " + user_name + ": " +
                           written.error().message + "; tried again at the next connection");
        }
    }
    return {};
}

Result<void> PostgresStorage::write_back(const std::string& user_name, LockedState& offline) {
    const auto abandon = [&](Error error) -> Result<void> {
        (void)run("ROLLBACK", {});
        return error;
    };
    auto stored = begin_and_lock(user_name);
    if (!stored) {
        return abandon(stored.error());
    }
    const UserState merged = merge_offline_state(*stored, offline.state());
    const auto values = state_values(merged);
    auto committed = run_all(
        {{update_user_state, update_parameters(user_name, values, m_host_name)}, {"COMMIT", {}}});
    if (!committed) {
        // Refused before the commit: the transaction is still open.
        return m_failed_statement == 0 ? abandon(committed.error()) : committed.error();
    }
    // The copy here learns the merged codes, so that a code written back
    // stays spent here in the next outage too.
    if (auto cached = m_cache.load(m_key, user_name)) {
        update_cached_codes(*cached, merged);
        if (auto saved = m_cache.save(m_key, user_name, *cached); !saved) {
            m_logger.error("cannot update the offline copy of user " + user_name + ": " +
                           saved.error().message);
            return saved.error();  // the state stays, and is written back again
        }
    }
    if (auto removed = m_offline_states.remove(user_name); !removed) {
        return removed.error();
    }
    const UserState& local = offline.state();
    m_logger.notice("wrote back to the shared store what user " + user_name +
                    " did on this host while it was unreachable: last TOTP step " +
                    step_text(local.last_totp_step) + ", " +
                    std::to_string(__builtin_popcountll(local.backup_used_mask)) +
                    " used backup codes, " + std::to_string(local.recent_failures.size()) +
                    " wrong codes" +
                    (local.locked_at != 0 ? ", locked at " + utc_time(local.locked_at) : ""));
    return {};
}

}  // namespace otpgate::core
