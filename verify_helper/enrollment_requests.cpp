#include "enrollment_requests.hpp"

#include <algorithm>
#include <bit>
#include <filesystem>

#include "helper_records.hpp"
#include "import_report.hpp"
#include "otpgate/core/enrollment/google_authenticator_import.hpp"
#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "otpgate/core/enrollment/otpauth_uri.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/login/login_dialogue.hpp"
#include "otpgate/core/login/recorded_check.hpp"
#include "otpgate/core/primitives/base32.hpp"
#include "output.hpp"
#include "qr_render.hpp"
#include "terminal.hpp"
#include "terminal_conversation.hpp"

namespace otpgate::verify {
namespace {

using core::ErrorKind;

// As many as the otpgate command allows for the code of a new secret.
constexpr unsigned max_confirming_tries = 3;

// The enrollment a change replaces, after its code; nullopt when there is
// none (or a damaged one, and root's state shows no factor the change
// would skip); an outcome when the change must stop. `replace_allowed`
// false is an import without --force, which refuses to replace anything.
using Existing = std::variant<std::optional<core::Enrollment>, HelperOutcome>;

Existing prove_existing(const HelperServices& services, const std::string& replaced_note,
                        bool replace_allowed) {
    auto current = services.login.storage.load_enrollment(services.account);
    if (!current) {
        const ErrorKind kind = current.error().kind;
        if (kind != ErrorKind::not_found && kind != ErrorKind::corrupt) {
            return storage_outcome(current.error(), "your enrollment");
        }
        if (auto refused = refuse_without_proof(services, current.error())) {
            return std::move(*refused);
        }
        if (kind == ErrorKind::corrupt) {
            cli::tell("Your current enrollment cannot be read and will be replaced.");
        }
        return std::optional<core::Enrollment>{};
    }
    const std::string enrolled = "You are already enrolled (" + describe_enrollment(*current) +
                                 " since " + cli::format_utc(current->created) + ")";
    if (!replace_allowed) {
        return HelperOutcome{HelperExit::not_permitted,
                             "you are already enrolled in otpgate (" +
                                 describe_enrollment(*current) +
                                 "); importing would replace it. To replace it, run again with "
                                 "--force (a current code is asked); nothing was changed"};
    }
    cli::print(enrolled + ". " + replaced_note + "\n");
    // Switching needs the current method first: a session left open must
    // not be enough to move the second factor to someone else's phone.
    if (HelperOutcome proved = prove_current(services); proved.exit != HelperExit::ok) {
        return proved;
    }
    cli::print("\n");
    return std::optional<core::Enrollment>(std::move(current.value()));
}

// Up to max_confirming_tries codes of `enrollment`'s secret, checked here
// only (it is not saved yet); the step of the accepted one, to be recorded
// as spent.
std::optional<std::int64_t> confirmed_step(const HelperServices& services,
                                           const core::Enrollment& enrollment) {
    core::LoginServices& login = services.login;
    const std::string prompt =
        "Enter the " + std::to_string(enrollment.totp.digits) + "-digit code from your app: ";
    for (unsigned attempt = 1; attempt <= max_confirming_tries; ++attempt) {
        const auto answer = login.conversation.ask_hidden(prompt);
        if (!answer) {
            return std::nullopt;
        }
        const auto digits = core::normalize_typed_code(answer->view());
        if (digits) {
            const core::TotpVerdict verdict =
                core::verify_totp(enrollment.totp_secret, digits->view(), login.clock.now(),
                                  enrollment.totp, services.config.totp_window, std::nullopt);
            if (verdict.match == core::TotpMatch::accepted) {
                return verdict.step;
            }
        }
        cli::tell(attempt < max_confirming_tries ? "That code is not valid. Try again."
                                                 : "That code is not valid.");
    }
    return std::nullopt;
}

// Saves `enrollment` while the user's state is locked, and in the same
// transaction adopts it and records the confirming step as spent, as
// confirm-totp does: no login sees the new secret with its confirming code
// still unspent. Refused while the user is locked out. Should the state not
// take the change, `previous` is put back (or the new one removed).
HelperOutcome save_confirmed(const HelperServices& services, const core::Enrollment& enrollment,
                             std::int64_t step, const std::optional<core::Enrollment>& previous) {
    core::LoginServices& login = services.login;
    const std::string& user = services.account.name;
    core::AttemptRecorder recorder(login.storage, user, services.config, login.logger,
                                   std::nullopt);
    const auto standing = recorder.standing(login.clock.now());
    if (!standing) {
        return {HelperExit::storage,
                "your login state cannot be read or written; nothing was changed"};
    }
    if (standing->lock_remaining) {
        return {HelperExit::not_verified,
                "your second factor is locked after wrong codes; nothing was changed"};
    }
    auto opened = login.storage.begin(user);
    if (!opened) {
        HelperOutcome failed = storage_outcome(opened.error(), "the login state of user " + user);
        failed.message += "; nothing was changed";
        return failed;
    }
    if (auto saved = login.storage.save_enrollment(services.account, enrollment); !saved) {
        HelperOutcome failed = storage_outcome(saved.error(), "your enrollment");
        failed.message += "; nothing was changed";
        return failed;
    }
    core::UserState& state = (*opened)->state();
    core::adopt_enrollment(state, enrollment);
    if (!state.last_totp_step || *state.last_totp_step < step) {
        state.last_totp_step = step;
    }
    if (auto committed = (*opened)->commit(); !committed) {
        login.logger.error("cannot record the confirming code of user " + user + ": " +
                           committed.error().message);
        opened->reset();
        const auto restored = previous ? login.storage.save_enrollment(services.account, *previous)
                                       : login.storage.remove_enrollment(services.account);
        if (!restored) {
            login.logger.error("cannot put back the enrollment of user " + user + ": " +
                               restored.error().message);
            return {HelperExit::storage,
                    "the confirming code cannot be recorded and the old enrollment cannot be "
                    "put back; ask an administrator"};
        }
        return {HelperExit::storage,
                "your login state cannot be read or written; nothing was changed"};
    }
    login.logger.info("user " + user + " confirmed a new TOTP enrollment; its code is spent");
    return {HelperExit::ok, {}};
}

void announce_totp(const HelperServices& services, const std::optional<core::Enrollment>& previous,
                   const std::string& verified_before) {
    core::NoticeAddresses addresses;
    if (previous) {
        addresses = proven_address_of(*previous, verified_before);
    }
    send_notice(services, previous ? core::ChangeKind::changed : core::ChangeKind::enabled,
                "TOTP app", addresses);
}

void show_new_secret(const HelperServices& services, const core::Enrollment& enrollment,
                     const std::string& issuer, cli::QrStyle qr_style) {
    const core::SecretString uri =
        core::totp_uri(issuer, services.account.name, enrollment.totp_secret, enrollment.totp);
    // The caller's TERM is gone with the rest of its environment: the
    // otpgate command passes the style it resolved.
    const cli::QrStyle style =
        cli::resolve_qr_style(qr_style, cli::is_terminal(STDOUT_FILENO), nullptr);
    if (style != cli::QrStyle::none) {
        if (const auto qr = cli::render_qr(uri.view(), style)) {
            cli::print("Scan this QR code with your authenticator app:\n\n");
            cli::print_qr_code(*qr);
            cli::print("\n");
        } else {
            cli::tell("Cannot draw the QR code (" + qr.error().message +
                      "); enter the secret by hand.");
        }
    }
    const core::SecretString secret = core::base32_encode(enrollment.totp_secret);
    const core::SecretString grouped = core::group_in_fours(secret.view());
    cli::print("Or add it by hand:\n  Secret:     ");
    cli::print(grouped.view());
    cli::print("\n  URI:        ");
    cli::print(uri.view());
    cli::print("\n  Parameters: " + cli::describe_totp(enrollment.totp) + "\n\n");
}

std::variant<std::filesystem::path, HelperOutcome> google_authenticator_path(
    const HelperServices& services, const ImportGoogleAuthenticator& request) {
    if (request.path) {
        return std::filesystem::path(*request.path);  // absolute: verify_request.cpp
    }
    const std::string& home = services.account.home;
    if (home.empty() || home.front() != '/' || home == "/") {
        return HelperOutcome{HelperExit::usage, "you have no usable home directory; name the file"};
    }
    return std::filesystem::path(home) / ".google_authenticator";
}

std::variant<core::GoogleAuthenticatorFile, HelperOutcome> read_google_authenticator(
    const HelperServices& services, const std::filesystem::path& path) {
    const std::string what = "the google-authenticator file " + path.string();
    auto text = core::read_google_authenticator_text(services.account, path);
    if (!text) {
        if (text.error().kind == ErrorKind::not_found) {
            return HelperOutcome{
                HelperExit::not_enrolled,
                path.string() + " does not exist (have you set up google-authenticator?)"};
        }
        HelperOutcome refused = storage_outcome(text.error(), what);
        refused.message += cli::unreadable_file_advice(text.error());
        return refused;
    }
    auto parsed = core::parse_google_authenticator_file(text->view());
    if (!parsed) {
        return HelperOutcome{
            HelperExit::storage,
            what + " cannot be read: " + parsed.error().message + "; nothing was changed"};
    }
    return std::move(parsed.value());
}

}  // namespace

HelperOutcome enroll_totp(const HelperServices& services, const EnrollTotp& request) {
    const std::string& user = services.account.name;
    const std::string issuer = request.issuer                   ? *request.issuer
                               : services.config.issuer.empty() ? services.login.host_name
                                                                : services.config.issuer;
    if (auto problem = core::issuer_problem(issuer)) {
        return {HelperExit::usage, "the issuer (" + issuer + "): " + *problem + "; use --issuer"};
    }
    const std::string verified_before = verified_destination(services);
    auto existing = prove_existing(
        services, "It stays in force until a code from the new secret is confirmed.", true);
    if (auto* refused = std::get_if<HelperOutcome>(&existing)) {
        return std::move(*refused);
    }
    const auto& previous = std::get<std::optional<core::Enrollment>>(existing);
    const core::NewEnrollment fresh = core::make_totp_enrollment(
        services.config, services.login.random, services.login.clock.now());
    show_new_secret(services, fresh.enrollment, issuer, request.qr);
    const auto step = confirmed_step(services, fresh.enrollment);
    if (!step) {
        services.login.logger.notice("user " + user + " did not confirm a new TOTP secret");
        return {HelperExit::not_verified, "code not verified; nothing was changed"};
    }
    if (HelperOutcome saved = save_confirmed(services, fresh.enrollment, *step, previous);
        saved.exit != HelperExit::ok) {
        return saved;
    }
    services.login.logger.notice("user " + user + " enrolled a TOTP app (" +
                                 std::to_string(fresh.backup_codes.size()) + " backup codes)");
    cli::print("Code confirmed. TOTP is now enrolled for user " + user + ".\n");
    cli::print_backup_codes(fresh.backup_codes);
    announce_totp(services, previous, verified_before);
    return {HelperExit::ok, {}};
}

HelperOutcome show_status(const HelperServices& services) {
    const std::string& user = services.account.name;
    const auto enrollment = services.login.storage.load_enrollment(services.account);
    if (!enrollment) {
        if (enrollment.error().kind == ErrorKind::not_found) {
            return {HelperExit::not_enrolled, "you are not enrolled"};
        }
        return storage_outcome(enrollment.error(), "your enrollment");
    }
    const auto record = root_record(services);
    if (!record) {
        return storage_outcome(record.error(), "the login state of user " + user);
    }
    const std::size_t issued = enrollment->backup.hashes_hex.size();
    const std::uint64_t first_issued =
        issued >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << issued) - 1;
    const std::size_t used =
        record->enrollment_id == enrollment->id
            ? static_cast<std::size_t>(std::popcount(record->backup_used_mask & first_issued))
            : 0;
    const auto channel = core::channel_of(enrollment->method);
    cli::print("User:             " + cli::as_field(user) + "\n");
    cli::print("Method:           " +
               (channel ? describe(*channel, enrollment->destination)
                        : "TOTP (" + cli::describe_totp(enrollment->totp) + ")") +
               "\n");
    cli::print("Enrolled:         " + cli::format_utc(enrollment->created) + "\n");
    cli::print("Kept by:          root (store = local)\n");
    cli::print("Backup codes:     " + std::to_string(issued) + " issued, " +
               std::to_string(issued - used) + " unused\n");
    return {HelperExit::ok, {}};
}

HelperOutcome import_google_authenticator(const HelperServices& services,
                                          const ImportGoogleAuthenticator& request) {
    const std::string& user = services.account.name;
    core::LoginServices& login = services.login;
    const auto path_or_refusal = google_authenticator_path(services, request);
    if (const auto* refused = std::get_if<HelperOutcome>(&path_or_refusal)) {
        return *refused;
    }
    const auto& path = std::get<std::filesystem::path>(path_or_refusal);
    auto read = read_google_authenticator(services, path);
    if (auto* refused = std::get_if<HelperOutcome>(&read)) {
        return std::move(*refused);
    }
    auto& file = std::get<core::GoogleAuthenticatorFile>(read);
    // Checked before asking for any code: a file that cannot work is refused at once.
    auto imported =
        core::import_google_authenticator(file, services.config, login.random, login.clock.now());
    if (!imported) {
        return {HelperExit::storage, "cannot import " + path.string() + ": " +
                                         imported.error().message + "; nothing was changed"};
    }
    const std::string verified_before = verified_destination(services);
    auto existing =
        prove_existing(services, "With --force, the import replaces it.", request.force);
    if (auto* refused = std::get_if<HelperOutcome>(&existing)) {
        return std::move(*refused);
    }
    const auto& previous = std::get<std::optional<core::Enrollment>>(existing);
    std::size_t dropped = 0;
    if (previous) {
        const auto record = root_record(services);
        if (!record) {
            return storage_outcome(record.error(), "the login state of user " + user);
        }
        dropped = core::drop_spent_scratch_codes(file, *previous, *record,
                                                 services.config.backup_code_iterations);
        if (dropped > 0) {
            imported = core::import_google_authenticator(file, services.config, login.random,
                                                         login.clock.now());
            if (!imported) {  // fewer codes than before: cannot happen, but never save half
                return {HelperExit::internal, imported.error().message};
            }
            imported->not_carried.push_back(
                std::to_string(dropped) +
                (dropped == 1 ? " scratch code that was already spent as an otpgate backup code"
                              : " scratch codes that were already spent as otpgate backup codes"));
        }
    }
    cli::print("To finish, a code from the app that holds this secret.\n");
    const auto step = confirmed_step(services, imported->enrollment);
    if (!step) {
        return {HelperExit::not_verified, "code not verified; nothing was changed"};
    }
    // The step google-authenticator saw used last stays used too.
    const std::int64_t spent = imported->used_step ? std::max(*step, *imported->used_step) : *step;
    if (HelperOutcome saved = save_confirmed(services, imported->enrollment, spent, previous);
        saved.exit != HelperExit::ok) {
        return saved;
    }
    if (imported->used_step) {
        imported->carried.emplace_back(
            "the last code used with google-authenticator, which cannot log in again");
    }
    login.logger.notice("user " + user + " imported the google-authenticator file " +
                        path.string() + " as their TOTP enrollment (" +
                        std::to_string(imported->enrollment.backup.hashes_hex.size()) +
                        " backup codes)");
    cli::print_import_report(path.string(), user, std::nullopt, *imported, false);
    announce_totp(services, previous, verified_before);
    return {HelperExit::ok, {}};
}

}  // namespace otpgate::verify
