// otpgate import google-authenticator: a ~/.google_authenticator file
// becomes the user's otpgate enrollment with the same secret and
// parameters, so the authenticator app keeps working. The old file is left
// alone: logins use it until the PAM stack is switched.
#include "announce_change.hpp"
#include "code_confirmation.hpp"
#include "commands.hpp"
#include "google_authenticator_source.hpp"
#include "import_report.hpp"
#include "otpgate/core/enrollment/google_authenticator_import.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/primitives/otp.hpp"
#include "output.hpp"
#include "root_held_enrollment.hpp"
#include "verify_helper_client.hpp"

namespace otpgate::cli {
namespace {

// Replacing an otpgate enrollment takes --force: a migration script run a
// second time must not quietly undo an enrollment made since (a new
// phone). A user replacing their own shows a code of it first, as for
// `enroll totp`; root naming the user is not asked.
std::variant<std::optional<core::Enrollment>, Failure> existing_enrollment(
    const CommandContext& context, bool force) {
    auto existing = context.storage.load_enrollment(context.target.account);
    if (!existing) {
        switch (existing.error().kind) {
            case core::ErrorKind::not_found: return std::optional<core::Enrollment>{};
            case core::ErrorKind::corrupt:
                print_warning("the current enrollment cannot be read and will be replaced: " +
                              existing.error().message);
                return std::optional<core::Enrollment>{};
            default: return storage_failure(existing.error(), enrollment_of(context));
        }
    }
    const std::string enrolled = context.user_name() + " is already enrolled in otpgate (" +
                                 describe_method(*existing) + " since " +
                                 format_utc(existing->created) + ")";
    if (!force) {
        return Failure{ExitCode::not_permitted,
                       "user " + enrolled +
                           "; importing would replace it. To replace it, run "
                           "again with --force" +
                           (context.target.named_by_root ? "" : " (a current code is asked)") +
                           "; nothing was changed"};
    }
    print("User " + enrolled + ". With --force, the import replaces it.\n");
    if (!context.target.named_by_root) {
        if (auto refused = confirm_possession(context, *existing)) {
            return std::move(*refused);
        }
    }
    return std::optional<core::Enrollment>(std::move(existing.value()));
}

// The new enrollment's id resets the spent-code marks; the steps used
// under google-authenticator and otpgate both stay used.
void record_in_state(core::UserTransaction& transaction,
                     core::GoogleAuthenticatorImport& imported) {
    core::UserState& record = transaction.state();
    core::adopt_enrollment(record, imported.enrollment);
    if (imported.used_step &&
        (!record.last_totp_step || *record.last_totp_step < *imported.used_step)) {
        record.last_totp_step = imported.used_step;
        imported.carried.emplace_back(
            "the last code used with google-authenticator, which cannot log in again");
    }
    if (auto committed = transaction.commit(); !committed) {
        print_warning("the login state could not be updated (" + committed.error().message +
                      "): the last code used with google-authenticator may log in once more");
    }
}

// A code of the app that already holds the imported secret, asked before
// anything is saved, to hand to otpgate-verify afterwards.
std::variant<core::SecretString, Failure> code_of_imported_app(const CommandContext& context,
                                                               const core::Enrollment& imported) {
    core::SecretString confirming_code;
    print("To finish, a code from the app that holds this secret.\n");
    auto not_confirmed =
        ask_until_accepted(context.codes, code_prompt(imported.totp.digits, false),
                           [&](std::string_view digits) -> CheckResult {
                               const core::TotpVerdict verdict = core::verify_totp(
                                   imported.totp_secret, digits, context.clock.now(), imported.totp,
                                   context.config.totp_window, std::nullopt);
                               if (verdict.match != core::TotpMatch::accepted) {
                                   return CodeCheck::wrong;
                               }
                               confirming_code = core::SecretString(digits);
                               return CodeCheck::accepted;
                           });
    if (not_confirmed) {
        return std::move(*not_confirmed);
    }
    return confirming_code;
}

void print_report(const CommandContext& context, const std::filesystem::path& source,
                  const core::GoogleAuthenticatorImport& imported) {
    print_import_report(source.string(), context.user_name(),
                        context.storage.enrollment_location(context.target.account), imported,
                        context.may_use_state);
}

// The helper reads the file with the user's identity, as this command
// would; it takes absolute paths only, so a relative one is made absolute
// here, against this command's working directory.
ExitCode import_through_helper(const CommandContext& context, const ImportOptions& options) {
    std::vector<std::string> request{"import-google-authenticator"};
    if (options.force) {
        request.emplace_back("--force");
    }
    if (options.file) {
        if (options.file->empty()) {
            return report({ExitCode::usage, "FILE: empty path"});
        }
        std::error_code error;
        const std::filesystem::path absolute = std::filesystem::absolute(*options.file, error);
        if (error) {
            return report({ExitCode::usage, "FILE: " + error.message()});
        }
        request.push_back(absolute.string());
    }
    return change_through_helper(context, request);
}

}  // namespace

ExitCode import_google_authenticator(const CommandContext& context, const ImportOptions& options) {
    if (enrollment_held_by_root(context)) {
        return import_through_helper(context, options);
    }
    const auto path_or_failure = google_authenticator_path(context, options.file);
    if (const auto* failure = std::get_if<Failure>(&path_or_failure)) {
        return report(*failure);
    }
    const auto& path = std::get<std::filesystem::path>(path_or_failure);
    auto read = read_google_authenticator_file(context, path);
    if (const auto* failure = std::get_if<Failure>(&read)) {
        return report(*failure);
    }
    auto& file = std::get<core::GoogleAuthenticatorFile>(read);
    // Checked before asking for any code: a file that cannot work is refused at once.
    auto imported = core::import_google_authenticator(file, context.config, context.random,
                                                      context.clock.now());
    if (!imported) {
        return report({ExitCode::storage, "cannot import " + path.string() + ": " +
                                              imported.error().message + "; nothing was changed"});
    }
    const auto existing = existing_enrollment(context, options.force);
    if (const auto* refused = std::get_if<Failure>(&existing)) {
        return report(*refused);
    }
    const auto& previous = std::get<std::optional<core::Enrollment>>(existing);
    auto state = begin_state_if_root(context);
    if (const auto* failure = std::get_if<Failure>(&state)) {
        return report(*failure);
    }
    auto& transaction = std::get<std::unique_ptr<core::UserTransaction>>(state);

    std::size_t dropped = 0;
    if (transaction && previous) {
        dropped = core::drop_spent_scratch_codes(file, *previous, transaction->state(),
                                                 context.config.backup_code_iterations);
        if (dropped > 0) {
            imported = core::import_google_authenticator(file, context.config, context.random,
                                                         context.clock.now());
            if (!imported) {  // fewer codes than before: cannot happen, but never save half
                return report({ExitCode::internal, imported.error().message});
            }
        }
    }
    // An ordinary user's import is finished by the helper, as `enroll totp` is.
    const bool through_helper = !context.may_use_state && verify_helper_installed(context.config);
    core::SecretString confirming_code;
    if (through_helper) {
        auto code = code_of_imported_app(context, imported->enrollment);
        if (auto* failure = std::get_if<Failure>(&code)) {
            return report(*failure);
        }
        confirming_code = std::move(std::get<core::SecretString>(code));
    }
    if (auto saved = context.storage.save_enrollment(context.target.account, imported->enrollment);
        !saved) {
        Failure failure = storage_failure(saved.error(), enrollment_of(context));
        failure.message += "; nothing was changed";
        return report(failure);
    }
    if (dropped > 0) {
        imported->not_carried.push_back(
            std::to_string(dropped) +
            (dropped == 1 ? " scratch code that was already spent as an otpgate backup code"
                          : " scratch codes that were already spent as otpgate backup codes"));
    }
    if (transaction) {
        record_in_state(*transaction, *imported);
        transaction.reset();  // ended before the notice, which reads the state
    }
    if (through_helper) {
        if (auto refused = hand_over_new_totp(context, previous, confirming_code)) {
            return report(*refused);
        }
    }
    context.logger.notice(
        (context.may_use_state ? "root imported " : "user " + context.user_name() + " imported ") +
        "the google-authenticator file " + path.string() + " as the TOTP enrollment of user " +
        context.user_name() + " (" + std::to_string(imported->enrollment.backup.hashes_hex.size()) +
        " backup codes)");
    print_report(context, path, *imported);
    if (!through_helper) {  // otherwise the helper announced it
        announce_change(context, previous ? core::ChangeKind::changed : core::ChangeKind::enabled,
                        &imported->enrollment, previous ? &*previous : nullptr);
    }
    return ExitCode::ok;
}

}  // namespace otpgate::cli
