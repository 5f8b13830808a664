// otpgate store migrate --to local|files (--user NAME | --all) [--dry-run]:
// root moves enrollments between the users' files and root's own store
// (store = files | local), keeping each user's login state: the enrollment
// moves whole, id included (enrollment_move.hpp). Safe to stop at any
// point and to run again; each user's outcome is printed, and each change,
// conflict and error is logged.

#include <array>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "commands.hpp"
#include "otpgate/core/storage/enrollment_move.hpp"
#include "output.hpp"

namespace otpgate::cli {
namespace {

using core::MoveOutcome;
using core::StoreKind;

// Whom --all visits: every account, and the names in root's store that no
// enumerated account has (a directory that does not enumerate).
struct Visit {
    std::vector<core::UserAccount> accounts;
    std::vector<std::string> without_account;  // names in root's store only
};

std::variant<Visit, Failure> accounts_to_visit(const core::EnrollmentPlaces& places) {
    std::map<std::string, core::UserAccount> by_name;
    for (core::UserAccount& account : core::enumerate_accounts()) {
        by_name.emplace(account.name, std::move(account));
    }
    const auto local = places.local_user_names();
    if (!local) {
        return storage_failure(local.error(), "root's enrollment store");
    }
    Visit visit;
    for (const std::string& name : *local) {
        if (by_name.count(name) > 0) {
            continue;
        }
        if (auto account = core::lookup_user(name)) {
            by_name.emplace(name, std::move(account.value()));
        } else {
            visit.without_account.push_back(name);
        }
    }
    for (auto& [name, account] : by_name) {
        visit.accounts.push_back(std::move(account));
    }
    return visit;
}

struct Tally {
    std::array<unsigned, 5> outcomes{};
    unsigned errors = 0;

    void add(MoveOutcome outcome) { ++outcomes.at(static_cast<std::size_t>(outcome)); }
    [[nodiscard]] unsigned of(MoveOutcome outcome) const {
        return outcomes.at(static_cast<std::size_t>(outcome));
    }
};

// One line for the user, printed; changes, conflicts and errors also logged.
void tell(const CommandContext& context, const core::EnrollmentPlaces& places,
          const core::UserAccount& account, StoreKind to, bool dry_run,
          const core::Result<MoveOutcome>& result) {
    const std::string user = "user " + as_field(account.name);
    const std::string from_path = as_field(places.describe(core::other_store(to), account));
    const std::string to_path = as_field(places.describe(to, account));
    const std::string to_store = std::string(core::to_string(to));
    if (!result) {
        const std::string text = user + ": ERROR: " + as_field(result.error().message);
        print(text + "\n");
        context.logger.error("store migrate: " + text);
        return;
    }
    std::string text;
    switch (*result) {
        case MoveOutcome::moved:
            text = user + (dry_run ? ": would move " : ": moved ") + from_path + " to " + to_path;
            break;
        case MoveOutcome::finished:
            text = user + ": " + to_path + " already holds the same enrollment; " +
                   (dry_run ? "would remove " : "removed ") + "the old copy " + from_path;
            break;
        case MoveOutcome::already_there:
            text = user + ": already in the " + to_store + " store (" + to_path + ")";
            break;
        case MoveOutcome::nothing_to_move: text = user + ": nothing to move (not enrolled)"; break;
        case MoveOutcome::conflict:
            text = user + ": CONFLICT: " + from_path + " and " + to_path +
                   " hold different enrollments; both left as they are (remove the one that "
                   "is not wanted, then run again)";
            break;
    }
    print(text + "\n");
    if (dry_run) {
        return;
    }
    if (*result == MoveOutcome::conflict) {
        context.logger.warning("store migrate: " + text);
    } else if (*result == MoveOutcome::moved || *result == MoveOutcome::finished) {
        context.logger.notice("store migrate by root: " + text);
    }
}

// Looked at first without changing anything, so that accounts with nothing
// to move get no state record. The move itself holds the user's state lock,
// as root's enrollments are saved, so that it does not interleave with one.
core::Result<MoveOutcome> move_one(const CommandContext& context,
                                   const core::EnrollmentPlaces& places,
                                   const core::UserAccount& account, StoreKind to, bool dry_run) {
    auto plan = core::move_enrollment(places, account, to, true);
    if (dry_run || !plan || (*plan != MoveOutcome::moved && *plan != MoveOutcome::finished)) {
        return plan;
    }
    auto locked = context.storage.begin(account.name, account.uid);
    if (!locked) {
        return core::make_error(
            locked.error().kind,
            "cannot lock the login state: " + locked.error().message + "; nothing was changed");
    }
    return core::move_enrollment(places, account, to, false);
}

std::string count_of(unsigned count, std::string_view what) {
    return std::to_string(count) + " " + std::string(what);
}

}  // namespace

ExitCode migrate_store(const CommandContext& context, const StoreMigrateOptions& options) {
    if (!context.may_use_state) {
        return report({ExitCode::not_permitted, "only root can move enrollments between stores"});
    }
    const core::EnrollmentPlaces places(context.config);
    Visit visit;
    if (options.all) {
        auto found = accounts_to_visit(places);
        if (auto* failure = std::get_if<Failure>(&found)) {
            return report(*failure);
        }
        visit = std::move(std::get<Visit>(found));
    } else {
        visit.accounts.push_back(context.target.account);
    }

    Tally tally;
    for (const core::UserAccount& account : visit.accounts) {
        const auto result = move_one(context, places, account, options.to, options.dry_run);
        if (!result) {
            ++tally.errors;
        } else {
            tally.add(*result);
            // --all visits every account: the unenrolled go unmentioned.
            if (options.all && *result == MoveOutcome::nothing_to_move) {
                continue;
            }
        }
        tell(context, places, account, options.to, options.dry_run, result);
    }
    for (const std::string& name : visit.without_account) {
        print("user " + as_field(name) +
              ": no account has this name; its file in root's store "
              "is left alone\n");
    }

    const unsigned conflicts = tally.of(MoveOutcome::conflict);
    print(std::string(options.dry_run ? "Dry run, nothing changed: " : "") +
          count_of(tally.of(MoveOutcome::moved) + tally.of(MoveOutcome::finished),
                   options.dry_run ? "to move" : "moved") +
          ", " + count_of(tally.of(MoveOutcome::already_there), "already there") + ", " +
          count_of(conflicts, conflicts == 1 ? "conflict" : "conflicts") + ", " +
          count_of(tally.errors, tally.errors == 1 ? "error" : "errors") + ".\n");
    if (conflicts > 0 || tally.errors > 0) {
        return ExitCode::storage;
    }
    return ExitCode::ok;
}

}  // namespace otpgate::cli
