// otpgate enroll sms NUMBER / enroll email ADDRESS: prove the destination
// receives codes, then make it the user's second factor.
//
// The proof is recorded as a fingerprint in the root-owned login state;
// the module sends codes only where that fingerprint matches, whatever the
// user's own enrollment file says. Root does it in-process (for any user,
// or with --verified to provision a destination known from a directory
// without sending a code); an ordinary user through the set-uid
// otpgate-verify, which first asks for a code of the current method, then
// verifies the new destination, and records it. This side then writes the
// user's own file.
#include "announce_change.hpp"
#include "code_confirmation.hpp"
#include "commands.hpp"
#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "otpgate/core/enrollment/otpauth_uri.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/login/code_dispatch.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/system/host_name.hpp"
#include "output.hpp"
#include "phone_number.hpp"
#include "root_held_enrollment.hpp"
#include "verify_helper_client.hpp"

namespace otpgate::cli {
namespace {

std::variant<std::string, Failure> normalize_destination(const CommandContext& context,
                                                         core::Channel channel,
                                                         const std::string& typed) {
    if (channel == core::Channel::email) {
        auto address = core::normalize_email(typed);
        if (!address) {
            return Failure{ExitCode::usage, "'" + typed + "' is not an email address"};
        }
        return std::move(*address);
    }
    auto parsed = parse_phone_number(typed, context.config.phone_default_region);
    if (!parsed) {
        return Failure{ExitCode::usage, parsed.error().message};
    }
    const PhoneNumber number = parsed.value();
    if (!core::sms_country_allowed(number.e164, context.config.sms_allowed_countries)) {
        return Failure{ExitCode::usage, "SMS to " + number.e164 +
                                            " is not allowed: its country calling code is not in "
                                            "sms_allowed_countries"};
    }
    if (number.unknown_range) {
        print_warning(number.e164 + " is in a range libphonenumber does not know; check it");
    }
    return number.e164;
}

// Sends a verification code (under the per-user send limits) and asks for
// it until it matches, expires or the tries run out.
std::optional<Failure> verify_by_code(const CommandContext& context, core::Channel channel,
                                      const std::string& destination) {
    auto sender = core::make_message_sender(context.config.delivery, channel, context.logger);
    if (!sender) {
        return Failure{ExitCode::config, sender.error().message};
    }
    const auto reservation =
        core::reserve_code_send(context.storage, context.config, context.user_name(), channel,
                                context.clock.now(), context.logger);
    if (!reservation) {
        return storage_failure(reservation.error(),
                               "the login state of user " + context.user_name());
    }
    if (reservation->kind != core::SendReservation::Kind::granted) {
        return Failure{ExitCode::not_delivered,
                       "too many codes sent to user " + context.user_name() + "; try again in " +
                           std::to_string(reservation->retry_after) + " s"};
    }
    const core::CodeRequest request{channel, core::MessageKind::verification_code, destination,
                                    context.user_name(), core::host_name()};
    const core::IssuedCode issued = core::issue_and_send(context.config, request, *sender.value(),
                                                         context.random, context.clock.now());
    if (!issued.record) {
        return Failure{ExitCode::not_delivered, "the code could not be sent: " + issued.failure};
    }
    const core::SentCode& record = *issued.record;
    const std::string masked = core::mask_destination(channel, destination);
    print("A code was sent by " + std::string(core::to_string(channel)) + " to " + masked + ".\n");
    // The prompt names the destination too, as otpgate-verify's does: the
    // line above may have scrolled away, or gone to a log, by the time a
    // code is typed.
    return ask_until_accepted(context.codes, "Enter the code sent to " + masked + ": ",
                              [&](std::string_view digits) -> CheckResult {
                                  return record.check(digits, context.clock.now()) ==
                                                 core::SentCode::Check::match
                                             ? CodeCheck::accepted
                                             : CodeCheck::wrong;
                              });
}

// What remains after otpgate-verify recorded the destination: the user's
// own file, keeping the backup codes they already hold.
core::Enrollment delivered_enrollment(const CommandContext& context, core::Channel channel,
                                      const std::string& destination,
                                      const core::Result<core::Enrollment>& existing,
                                      std::vector<core::SecretString>& new_backup_codes) {
    core::Enrollment enrollment;
    enrollment.method = channel == core::Channel::sms ? core::Method::sms : core::Method::email;
    enrollment.destination = destination;
    enrollment.created = context.clock.now();
    if (existing && !existing->backup.hashes_hex.empty()) {
        enrollment.backup = existing->backup;
        enrollment.id = existing->id;
    } else {
        new_backup_codes = core::renew_backup_codes(enrollment, context.config, context.random);
    }
    return enrollment;
}

void print_enrolled(const CommandContext& context, core::Channel channel, const std::string& masked,
                    const std::vector<core::SecretString>& new_backup_codes) {
    print(std::string(channel == core::Channel::sms ? "SMS" : "Email") + " codes to " + masked +
          " are now the second factor of user " + context.user_name() + ".\n");
    if (!new_backup_codes.empty()) {
        print_backup_codes(new_backup_codes);
    }
}

// The state's transaction stays open while the enrollment is replaced, so
// a login never sees the new destination without its proof or the reverse.
// It ends on return: the change notice that follows reads the state in a
// transaction of its own, which would otherwise wait for this one.
std::optional<Failure> save_with_proof(const CommandContext& context,
                                       const core::Enrollment& enrollment, core::Channel channel,
                                       const std::string& destination) {
    auto opened = context.storage.begin(context.user_name());
    if (!opened) {
        return storage_failure(opened.error(), "the login state of user " + context.user_name());
    }
    core::UserTransaction& transaction = **opened;
    if (auto saved = context.storage.save_enrollment(context.target.account, enrollment); !saved) {
        Failure failure = storage_failure(saved.error(), enrollment_of(context));
        failure.message += "; nothing was changed";
        return failure;
    }
    core::UserState& state = transaction.state();
    core::adopt_enrollment(state, enrollment);
    state.verified_destination = core::destination_fingerprint(channel, destination);
    state.verified_at = context.clock.now();
    if (auto committed = transaction.commit(); !committed) {
        return storage_failure(committed.error(), "the login state of user " + context.user_name());
    }
    return std::nullopt;
}

ExitCode enroll_through_helper(const CommandContext& context, core::Channel channel,
                               const std::string& command_word, const std::string& destination) {
    const auto existing = context.storage.load_enrollment(context.target.account);
    if (!existing && existing.error().kind != core::ErrorKind::not_found &&
        existing.error().kind != core::ErrorKind::corrupt) {
        return report(storage_failure(existing.error(), enrollment_of(context)));
    }
    if (const auto refused = run_verify_helper(context.config, {command_word, destination})) {
        return report(*refused);
    }
    std::vector<core::SecretString> new_backup_codes;
    const core::Enrollment enrollment =
        delivered_enrollment(context, channel, destination, existing, new_backup_codes);
    if (auto saved = context.storage.save_enrollment(context.target.account, enrollment); !saved) {
        Failure failure = storage_failure(saved.error(), enrollment_of(context));
        failure.message += "; the destination is verified, run the command again to save it";
        return report(failure);
    }
    // otpgate-verify already logged the change and sent the notice.
    print_enrolled(context, channel, core::mask_destination(channel, destination),
                   new_backup_codes);
    return ExitCode::ok;
}

}  // namespace

ExitCode enroll_delivered(const CommandContext& context, core::Channel channel,
                          const std::string& typed_destination, bool already_verified) {
    const std::string command_word = channel == core::Channel::sms ? "sms" : "email";
    if (enrollment_held_by_root(context)) {
        // Numbers are made E.164 here (libphonenumber); the helper takes no other form.
        auto normalized = normalize_destination(context, channel, typed_destination);
        if (const auto* failure = std::get_if<Failure>(&normalized)) {
            return report(*failure);
        }
        return change_through_helper(context,
                                     {"enroll-" + command_word, std::get<std::string>(normalized)});
    }
    if (!context.may_use_state && !verify_helper_installed(context.config)) {
        return report({ExitCode::not_permitted,
                       "verifying a phone number or email address needs otpgate-verify, which "
                       "is not installed (" +
                           context.config.verify_helper +
                           "); ask an administrator to run: otpgate enroll " + command_word +
                           " DESTINATION --user " + context.user_name()});
    }
    auto normalized = normalize_destination(context, channel, typed_destination);
    if (const auto* failure = std::get_if<Failure>(&normalized)) {
        return report(*failure);
    }
    const std::string destination = std::get<std::string>(normalized);
    if (!context.may_use_state) {
        return enroll_through_helper(context, channel, command_word, destination);
    }
    const std::string masked = core::mask_destination(channel, destination);
    auto existing = context.storage.load_enrollment(context.target.account);
    if (!existing && existing.error().kind != core::ErrorKind::not_found &&
        existing.error().kind != core::ErrorKind::corrupt) {
        return report(storage_failure(existing.error(), enrollment_of(context)));
    }

    if (already_verified) {
        context.logger.notice("root enrolled " + std::string(core::to_string(channel)) + " " +
                              masked + " for user " + context.user_name() +
                              " as verified, without a code (provisioning)");
    } else if (const auto not_verified = verify_by_code(context, channel, destination)) {
        return report(*not_verified);
    }

    std::vector<core::SecretString> new_backup_codes;
    const core::Enrollment enrollment =
        delivered_enrollment(context, channel, destination, existing, new_backup_codes);

    if (auto not_saved = save_with_proof(context, enrollment, channel, destination)) {
        return report(*not_saved);
    }
    print_enrolled(context, channel, masked, new_backup_codes);
    announce_change(context, existing ? core::ChangeKind::changed : core::ChangeKind::enabled,
                    &enrollment, existing ? &existing.value() : nullptr);
    return ExitCode::ok;
}

}  // namespace otpgate::cli
