// otpgate store import --from files|local (--user NAME | --all) [--dry-run]:
// root copies this host's enrollments and login state into the shared
// store (store = postgresql) through the Storage interface. Per user: an
// enrollment the database lacks is saved and the local state merged into
// the user's row (one transaction of that user); the same enrollment is
// "already imported"; a different one is a conflict, reported and left as
// it is. The local copies stay (unlike store migrate, which moves): a host
// keeps working if it goes back to its old store. Safe to run again.

#include <algorithm>
#include <map>

#include "commands.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "output.hpp"

namespace otpgate::cli {
namespace {

enum class ImportOutcome { imported, already_imported, nothing_to_import, conflict };

// The last `limit` of both lists' times, oldest first, each once.
std::vector<std::int64_t> merged_times(const std::vector<std::int64_t>& a,
                                       const std::vector<std::int64_t>& b, std::size_t limit) {
    std::vector<std::int64_t> all(a);
    all.insert(all.end(), b.begin(), b.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    if (all.size() > limit) {
        all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(limit));
    }
    return all;
}

// The host's record added to the shared one, never weakening it: a step
// spent on either side stays spent, a backup code used on either side stays
// used, a lockout on either side stays. Remembered hosts are not carried
// over: their tags are keyed with this host's own key, which the shared
// store does not use, so they could never match.
void merge_state(core::UserState& shared, const core::UserState& local,
                 const std::string& enrollment_id) {
    if (local.last_totp_step &&
        (!shared.last_totp_step || *shared.last_totp_step < *local.last_totp_step)) {
        shared.last_totp_step = local.last_totp_step;
    }
    if (shared.enrollment_id != enrollment_id) {
        shared.enrollment_id = enrollment_id;
        shared.backup_used_mask = 0;
    }
    if (local.enrollment_id == enrollment_id) {
        shared.backup_used_mask |= local.backup_used_mask;
    }
    if (!local.verified_destination.empty() &&
        (shared.verified_destination.empty() || local.verified_at >= shared.verified_at)) {
        shared.verified_destination = local.verified_destination;
        shared.verified_at = local.verified_at;
    }
    shared.recent_sends =
        merged_times(shared.recent_sends, local.recent_sends, core::max_recorded_sends);
    shared.last_success = std::max(shared.last_success, local.last_success);
    shared.locked_at = std::max(shared.locked_at, local.locked_at);
    shared.recent_failures =
        merged_times(shared.recent_failures, local.recent_failures, core::max_recorded_failures);
}

bool same_enrollment(const core::Enrollment& a, const core::Enrollment& b) {
    const core::SecretString a_text = core::serialize_enrollment(a);
    const core::SecretString b_text = core::serialize_enrollment(b);
    return a.id == b.id && core::constant_time_equal(a_text.view().data(), a_text.size(),
                                                     b_text.view().data(), b_text.size());
}

core::Error explained(const core::Error& error, std::string_view where) {
    return core::make_error(error.kind, std::string(where) + ": " + error.message);
}

core::Result<ImportOutcome> import_one(core::Storage& source, core::Storage& shared,
                                       const core::UserAccount& account, bool dry_run) {
    auto local = source.load_enrollment(account);
    if (!local) {
        if (local.error().kind == core::ErrorKind::not_found) {
            return ImportOutcome::nothing_to_import;
        }
        return explained(local.error(), "this host's enrollment");
    }
    auto compare = [&]() -> core::Result<std::optional<ImportOutcome>> {
        auto existing = shared.load_enrollment(account);
        if (existing) {
            return std::optional<ImportOutcome>(same_enrollment(*existing, *local)
                                                    ? ImportOutcome::already_imported
                                                    : ImportOutcome::conflict);
        }
        if (existing.error().kind != core::ErrorKind::not_found) {
            return explained(existing.error(), "the shared store's enrollment");
        }
        return std::optional<ImportOutcome>();
    };
    auto before = compare();
    if (!before) {
        return before.error();
    }
    if (*before || dry_run) {
        return before->value_or(ImportOutcome::imported);
    }
    auto local_state = source.read_state(account.name);
    if (!local_state) {
        return explained(local_state.error(), "this host's login state");
    }
    // The user's row stays locked from the second look to the commit, so
    // a login or an enrollment elsewhere cannot slip in between.
    auto transaction = shared.begin(account.name, account.uid);
    if (!transaction) {
        return explained(transaction.error(), "the shared store's login state");
    }
    auto again = compare();
    if (!again) {
        return again.error();
    }
    if (*again) {
        return **again;
    }
    if (auto saved = shared.save_enrollment(account, *local); !saved) {
        return explained(saved.error(), "saving the enrollment in the shared store");
    }
    if (*local_state) {
        merge_state((*transaction)->state(), **local_state, local->id);
    } else {
        (*transaction)->state().enrollment_id = local->id;
    }
    if (auto committed = (*transaction)->commit(core::Durability::durable); !committed) {
        return explained(committed.error(),
                         "the enrollment was saved but the login state was not (run again)");
    }
    return ImportOutcome::imported;
}

// --all: every account, with the names this host keeps state for.
std::vector<core::UserAccount> every_account(core::Storage& source) {
    std::map<std::string, core::UserAccount> by_name;
    for (core::UserAccount& account : core::enumerate_accounts()) {
        by_name.emplace(account.name, std::move(account));
    }
    if (auto names = source.users_with_state()) {
        for (const std::string& name : *names) {
            if (by_name.count(name) == 0) {
                if (auto account = core::lookup_user(name)) {
                    by_name.emplace(name, std::move(account.value()));
                }
            }
        }
    }
    std::vector<core::UserAccount> accounts;
    for (auto& [name, account] : by_name) {
        accounts.push_back(std::move(account));
    }
    return accounts;
}

std::string outcome_text(ImportOutcome outcome, bool dry_run, std::string_view from) {
    switch (outcome) {
        case ImportOutcome::imported:
            return dry_run ? "would import the enrollment and login state"
                           : "imported the enrollment and login state (this host's " +
                                 std::string(from) + " copy is left in place)";
        case ImportOutcome::already_imported:
            return "already imported (the shared store holds the same enrollment)";
        case ImportOutcome::nothing_to_import: return "nothing to import (not enrolled here)";
        case ImportOutcome::conflict:
            return "CONFLICT: the shared store holds a different enrollment; both left as they "
                   "are (disable the unwanted one, then run again)";
    }
    return {};
}

}  // namespace

ExitCode import_into_store(const CommandContext& context, const StoreImportOptions& options) {
    if (!context.may_use_state) {
        return report({ExitCode::not_permitted, "only root can import into the shared store"});
    }
    if (context.config.store != core::StoreKind::postgresql) {
        return report({ExitCode::config,
                       "store import copies into the shared store: set store = postgresql (and "
                       "store_url) in the configuration first"});
    }
    core::Config source_config = context.config;
    source_config.store = options.from;
    auto source = core::open_storage(source_config, context.logger);
    if (!source) {
        return report(storage_failure(source.error(), "this host's store"));
    }
    const std::vector<core::UserAccount> accounts =
        options.all ? every_account(**source)
                    : std::vector<core::UserAccount>{context.target.account};
    const std::string from(core::to_string(options.from));

    unsigned imported = 0;
    unsigned already = 0;
    unsigned conflicts = 0;
    unsigned errors = 0;
    for (const core::UserAccount& account : accounts) {
        const auto outcome = import_one(**source, context.storage, account, options.dry_run);
        const std::string user = "user " + as_field(account.name) + ": ";
        if (!outcome) {
            ++errors;
            const std::string text = user + "ERROR: " + as_field(outcome.error().message);
            print(text + "\n");
            context.logger.error("store import: " + text);
            continue;
        }
        if (options.all && *outcome == ImportOutcome::nothing_to_import) {
            continue;  // --all visits every account: the unenrolled go unmentioned
        }
        const std::string text = user + outcome_text(*outcome, options.dry_run, from);
        print(text + "\n");
        switch (*outcome) {
            case ImportOutcome::imported:
                ++imported;
                if (!options.dry_run) {
                    context.logger.notice("store import by root from " + from + ": " + text);
                    (void)context.storage.record_event(
                        {"otpgate", account.name, "", "import", "done"});
                }
                break;
            case ImportOutcome::already_imported: ++already; break;
            case ImportOutcome::conflict:
                ++conflicts;
                if (!options.dry_run) {
                    context.logger.warning("store import from " + from + ": " + text);
                }
                break;
            case ImportOutcome::nothing_to_import: break;
        }
    }
    print(std::string(options.dry_run ? "Dry run, nothing changed: " : "") +
          std::to_string(imported) + (options.dry_run ? " to import, " : " imported, ") +
          std::to_string(already) + " already imported, " + std::to_string(conflicts) +
          (conflicts == 1 ? " conflict, " : " conflicts, ") + std::to_string(errors) +
          (errors == 1 ? " error." : " errors.") +
          (options.dry_run ? "\n" : " This host's copies were not removed.\n"));
    return conflicts > 0 || errors > 0 ? ExitCode::storage : ExitCode::ok;
}

}  // namespace otpgate::cli
