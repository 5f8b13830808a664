// otpgate enroll totp: show a new secret, confirm a code from the app,
// and only then replace whatever was enrolled before.
#include <cstdlib>

#include "announce_change.hpp"
#include "code_confirmation.hpp"
#include "commands.hpp"
#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "otpgate/core/enrollment/otpauth_uri.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/primitives/base32.hpp"
#include "otpgate/core/system/host_name.hpp"
#include "output.hpp"
#include "root_held_enrollment.hpp"
#include "verify_helper_client.hpp"

namespace otpgate::cli {
namespace {

std::variant<std::string, Failure> choose_issuer(const CommandContext& context,
                                                 const EnrollOptions& options) {
    std::string issuer = options.issuer                  ? *options.issuer
                         : context.config.issuer.empty() ? core::host_name()
                                                         : context.config.issuer;
    if (auto problem = core::issuer_problem(issuer)) {
        return Failure{ExitCode::usage, "--issuer: " + *problem};
    }
    return issuer;
}

// Re-enrolling is how a broken file gets fixed, so only files that were
// refused for safety (or cannot be read at all) stop the command. Gives the
// current enrollment, if one could be read, for the change notice.
std::variant<std::optional<core::Enrollment>, Failure> announce_existing(
    const CommandContext& context) {
    auto existing = context.storage.load_enrollment(context.target.account);
    if (existing) {
        print("User " + context.user_name() + " is already enrolled (" +
              describe_method(*existing) + " since " + format_utc(existing->created) +
              "). It stays in force until a code from the new secret is confirmed.\n");
        // Switching needs the current method first: a session left open must
        // not be enough to move the second factor to someone else's phone.
        if (!context.target.named_by_root) {
            if (auto refused = confirm_possession(context, *existing)) {
                return std::move(*refused);
            }
        }
        print("\n");
        return std::optional<core::Enrollment>(std::move(existing.value()));
    }
    switch (existing.error().kind) {
        case core::ErrorKind::not_found: return std::optional<core::Enrollment>{};
        case core::ErrorKind::corrupt:
            print_warning("the current enrollment cannot be read and will be replaced: " +
                          existing.error().message);
            return std::optional<core::Enrollment>{};
        default: return storage_failure(existing.error(), enrollment_of(context));
    }
}

void show_new_secret(const CommandContext& context, const core::Enrollment& enrollment,
                     const std::string& issuer, QrStyle qr_style) {
    const core::SecretString uri =
        core::totp_uri(issuer, context.user_name(), enrollment.totp_secret, enrollment.totp);
    if (context.target.named_by_root) {
        print("Enrolling user " + context.user_name() + ".\n\n");
    }
    const QrStyle style =
        resolve_qr_style(qr_style, is_terminal(STDOUT_FILENO), std::getenv("TERM"));
    if (style != QrStyle::none) {
        const auto qr = render_qr(uri.view(), style);
        if (qr) {
            print("Scan this QR code with your authenticator app:\n\n");
            print_qr_code(*qr);
            print("\n");
        } else {
            print_warning("cannot draw the QR code (" + qr.error().message +
                          "); enter the secret by hand");
        }
    }
    const core::SecretString secret = core::base32_encode(enrollment.totp_secret);
    const core::SecretString grouped = core::group_in_fours(secret.view());
    print("Or add it by hand:\n");
    print("  Secret:     ");
    print(grouped.view());
    print("\n  URI:        ");
    print(uri.view());
    print("\n  Parameters: " + describe_totp(enrollment.totp) + "\n\n");
}

// Replaces the old enrollment; as root, also marks the confirming step used.
std::optional<Failure> save_confirmed(const CommandContext& context,
                                      const core::Enrollment& enrollment,
                                      std::int64_t confirmed_step) {
    auto state = begin_state_if_root(context);
    if (auto* failure = std::get_if<Failure>(&state)) {
        return std::move(*failure);
    }
    if (auto saved = context.storage.save_enrollment(context.target.account, enrollment); !saved) {
        Failure failure = storage_failure(saved.error(), enrollment_of(context));
        failure.message += "; nothing was changed";
        return failure;
    }
    if (auto& transaction = std::get<std::unique_ptr<core::UserTransaction>>(state)) {
        core::UserState& record = transaction->state();
        core::adopt_enrollment(record, enrollment);
        if (!record.last_totp_step || *record.last_totp_step < confirmed_step) {
            record.last_totp_step = confirmed_step;
        }
        if (auto committed = transaction->commit(); !committed) {
            // The enrollment is in place and the backup codes must still be
            // shown; the only loss is that the confirming code stays usable.
            print_warning(
                "the confirming code could not be marked as used and stays valid for "
                "one login until it expires: " +
                committed.error().message);
        }
    }
    return std::nullopt;
}

}  // namespace

ExitCode enroll_totp(const CommandContext& context, const EnrollOptions& options) {
    const auto issuer = choose_issuer(context, options);
    if (const auto* failure = std::get_if<Failure>(&issuer)) {
        return report(*failure);
    }
    if (enrollment_held_by_root(context)) {
        // The helper cannot see TERM: it gets the style resolved here.
        const QrStyle style =
            resolve_qr_style(options.qr, is_terminal(STDOUT_FILENO), std::getenv("TERM"));
        std::vector<std::string> request{"enroll-totp", "--qr", std::string(qr_style_name(style))};
        if (options.issuer) {
            request.insert(request.end(), {"--issuer", *options.issuer});
        }
        return change_through_helper(context, request);
    }
    const auto existing = announce_existing(context);
    if (const auto* refused = std::get_if<Failure>(&existing)) {
        return report(*refused);
    }
    const auto& previous = std::get<std::optional<core::Enrollment>>(existing);
    const core::NewEnrollment fresh =
        core::make_totp_enrollment(context.config, context.random, context.clock.now());
    const core::Enrollment& enrollment = fresh.enrollment;
    show_new_secret(context, enrollment, std::get<std::string>(issuer), options.qr);

    std::int64_t confirmed_step = 0;
    core::SecretString confirming_code;
    const auto not_confirmed =
        ask_until_accepted(context.codes, code_prompt(enrollment.totp.digits, false),
                           [&](std::string_view digits) -> CheckResult {
                               const core::TotpVerdict verdict = core::verify_totp(
                                   enrollment.totp_secret, digits, context.clock.now(),
                                   enrollment.totp, context.config.totp_window, std::nullopt);
                               if (verdict.match != core::TotpMatch::accepted) {
                                   return CodeCheck::wrong;
                               }
                               confirmed_step = verdict.step;
                               confirming_code = core::SecretString(digits);
                               return CodeCheck::accepted;
                           });
    if (not_confirmed) {
        return report(*not_confirmed);
    }

    if (const auto not_saved = save_confirmed(context, enrollment, confirmed_step)) {
        return report(*not_saved);
    }
    const bool through_helper = !context.may_use_state && verify_helper_installed(context.config);
    if (through_helper) {
        if (auto refused = hand_over_new_totp(context, previous, confirming_code)) {
            return report(*refused);
        }
    }
    const auto where = context.storage.enrollment_location(context.target.account);
    print("Code confirmed. TOTP is now enrolled for user " + context.user_name() +
          (where ? " (" + *where + ").\n" : ".\n"));
    print_backup_codes(fresh.backup_codes);
    if (!through_helper) {  // otherwise the helper announced it
        announce_change(context, previous ? core::ChangeKind::changed : core::ChangeKind::enabled,
                        &enrollment, previous ? &*previous : nullptr);
    }
    return ExitCode::ok;
}

}  // namespace otpgate::cli
