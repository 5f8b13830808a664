#include "verification.hpp"

#include "helper_records.hpp"
#include "otpgate/core/enrollment/new_enrollment.hpp"
#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/login/code_dispatch.hpp"
#include "otpgate/core/login/recorded_check.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "output.hpp"
#include "terminal_conversation.hpp"

namespace otpgate::verify {
namespace {

using core::ErrorKind;

bool verified_already(const HelperServices& services, const core::Enrollment& current,
                      const VerifyDestination& request) {
    if (core::channel_of(current.method) != request.channel ||
        current.destination != request.destination) {
        return false;
    }
    auto opened = services.login.storage.begin(services.account.name);
    return opened && (*opened)->state().verified_destination ==
                         core::destination_fingerprint(request.channel, request.destination);
}

// Sends the one verification code; the record of it, or why not.
std::variant<core::SentCode, HelperOutcome> send_verification_code(const HelperServices& services,
                                                                   const VerifyDestination& request,
                                                                   core::Cooldown cooldown) {
    const core::Config& config = services.config;
    const std::string& user = services.account.name;
    core::LoginServices& login = services.login;
    const auto reservation = core::reserve_code_send(login.storage, config, user, request.channel,
                                                     login.clock.now(), login.logger, {}, cooldown);
    if (!reservation) {
        return storage_outcome(reservation.error(), "the login state of user " + user);
    }
    if (reservation->kind != core::SendReservation::Kind::granted) {
        login.logger.notice("no verification code sent for user " + user + " to " +
                            describe(request.channel, request.destination) +
                            ": send limit reached");
        return HelperOutcome{HelperExit::not_delivered,
                             "too many codes were sent to you; try again in " +
                                 std::to_string(reservation->retry_after) + " s"};
    }
    auto sender = login.make_sender(request.channel);
    if (!sender) {
        login.logger.error("cannot send a verification code for user " + user + ": " +
                           sender.error().message);
        return HelperOutcome{HelperExit::not_delivered,
                             std::string(core::to_string(request.channel)) +
                                 " codes cannot be sent from this host; ask an administrator"};
    }
    const core::CodeRequest code_request{request.channel, core::MessageKind::verification_code,
                                         request.destination, user, login.host_name};
    core::IssuedCode issued = core::issue_and_send(config, code_request, *sender.value(),
                                                   login.random, login.clock.now());
    if (!issued.record) {
        // The provider's words stay in the log; they are for the administrator.
        login.logger.error("could not send a verification code for user " + user + " to " +
                           describe(request.channel, request.destination) + ": " + issued.failure);
        return HelperOutcome{HelperExit::not_delivered,
                             "the code could not be sent; try again later or ask an "
                             "administrator"};
    }
    login.logger.info("sent a verification code for user " + user + " to " +
                      describe(request.channel, request.destination));
    return *issued.record;
}

// Up to max_attempts answers; true once one matches before it expires.
bool code_returned(const HelperServices& services, const core::SentCode& record,
                   const std::string& masked) {
    core::LoginServices& login = services.login;
    const std::string prompt = "Enter the code sent to " + masked + ": ";
    for (unsigned attempt = 1; attempt <= services.config.max_attempts; ++attempt) {
        const auto answer = login.conversation.ask_hidden(prompt);
        if (!answer) {
            return false;
        }
        const auto digits = core::normalize_typed_code(answer->view());
        const auto check = digits ? record.check(digits->view(), login.clock.now())
                                  : core::SentCode::Check::mismatch;
        if (check == core::SentCode::Check::match) {
            return true;
        }
        if (check == core::SentCode::Check::expired) {
            cli::tell("That code has expired.");
            return false;
        }
        cli::tell(attempt < services.config.max_attempts ? "That code is not valid. Try again."
                                                         : "That code is not valid.");
    }
    return false;
}

// The SMS or email enrollment enroll-sms / enroll-email saves: the backup
// codes the user holds stay (with the id under which their spent ones are
// marked), else new ones are made, to be shown once.
core::Enrollment delivered_enrollment(const HelperServices& services,
                                      const VerifyDestination& request,
                                      const core::Result<core::Enrollment>& current,
                                      std::vector<core::SecretString>& new_backup_codes) {
    core::Enrollment enrollment;
    enrollment.method =
        request.channel == core::Channel::sms ? core::Method::sms : core::Method::email;
    enrollment.destination = request.destination;
    enrollment.created = services.login.clock.now();
    if (current && !current->backup.hashes_hex.empty()) {
        enrollment.backup = current->backup;
        enrollment.id = current->id;
    } else {
        new_backup_codes =
            core::renew_backup_codes(enrollment, services.config, services.login.random);
    }
    return enrollment;
}

// The proof, and with `enrollment` the enrollment itself, saved while the
// user's state is locked: a login never sees the new destination without
// its proof or the reverse.
HelperOutcome record_verified(const HelperServices& services, const VerifyDestination& request,
                              const core::Enrollment* enrollment) {
    const std::string& user = services.account.name;
    auto opened = services.login.storage.begin(user);
    if (!opened) {
        return storage_outcome(opened.error(), "the login state of user " + user);
    }
    core::UserTransaction& transaction = **opened;
    if (enrollment != nullptr) {
        if (auto saved = services.login.storage.save_enrollment(services.account, *enrollment);
            !saved) {
            HelperOutcome failed = storage_outcome(saved.error(), "your enrollment");
            failed.message += "; nothing was changed";
            return failed;
        }
        core::adopt_enrollment(transaction.state(), *enrollment);
    }
    transaction.state().verified_destination =
        core::destination_fingerprint(request.channel, request.destination);
    transaction.state().verified_at = services.login.clock.now();
    if (auto committed = transaction.commit(); !committed) {
        return storage_outcome(committed.error(), "the login state of user " + user);
    }
    return {HelperExit::ok, {}};
}

// `verified_before`: what root's state showed verified before this change.
void announce(const HelperServices& services, const VerifyDestination& request,
              const core::Enrollment* previous, const std::string& verified_before) {
    core::NoticeAddresses addresses;
    if (request.channel == core::Channel::email) {
        // Just proven with the code that came back.
        addresses.add_if_proven(request.destination, core::destination_fingerprint(
                                                         request.channel, request.destination));
    }
    if (previous != nullptr && previous->method == core::Method::email) {
        addresses.add_if_proven(previous->destination, verified_before);
    }
    send_notice(services,
                previous != nullptr ? core::ChangeKind::changed : core::ChangeKind::enabled,
                describe(request.channel, request.destination) + " (verified by code)", addresses);
}

}  // namespace

HelperOutcome prove_current(const HelperServices& services) {
    const auto current = services.login.storage.load_enrollment(services.account);
    if (!current) {
        if (current.error().kind == ErrorKind::not_found) {
            return {HelperExit::not_enrolled, "you are not enrolled"};
        }
        return storage_outcome(current.error(), "your enrollment");
    }
    const std::string& user = services.account.name;
    switch (core::run_login(user, services.config, services.login)) {
        case core::LoginOutcome::success:
            services.login.logger.info("user " + user + " proved their second factor to otpgate");
            return {HelperExit::ok, "Code accepted."};
        case core::LoginOutcome::unavailable:
            return {HelperExit::storage, "your login state cannot be read or written"};
        case core::LoginOutcome::conversation_failed:
            return {HelperExit::not_verified, "no code given"};
        case core::LoginOutcome::denied:
        case core::LoginOutcome::not_applicable: break;
    }
    return {HelperExit::not_verified, "code not verified"};
}

HelperOutcome verify_destination(const HelperServices& services, const VerifyDestination& request) {
    const std::string& user = services.account.name;
    const std::string masked = core::mask_destination(request.channel, request.destination);
    auto current = services.login.storage.load_enrollment(services.account);
    if (!current && current.error().kind != ErrorKind::not_found &&
        current.error().kind != ErrorKind::corrupt) {
        return storage_outcome(current.error(), "your enrollment");
    }
    // A missing or damaged file is no second factor only when root's state
    // agrees; otherwise removing the file would skip the code the change needs.
    if (!current) {
        if (auto refused = refuse_without_proof(services, current.error())) {
            return std::move(*refused);
        }
    }
    const std::string verified_before = verified_destination(services);
    core::Cooldown cooldown = core::Cooldown::applies;
    if (current) {
        if (verified_already(services, *current, request)) {
            return {HelperExit::ok, masked + (request.enroll ? " is already your second factor."
                                                             : " is already verified.")};
        }
        cli::tell("First, a code of your current second factor.");
        if (HelperOutcome proved = prove_current(services); proved.exit != HelperExit::ok) {
            return proved;
        }
        cooldown = core::Cooldown::waived_after_proof;
    }
    auto sent = send_verification_code(services, request, cooldown);
    if (auto* failed = std::get_if<HelperOutcome>(&sent)) {
        return std::move(*failed);
    }
    cli::tell("A code was sent by " + std::string(core::to_string(request.channel)) + " to " +
              masked + ".");
    if (!code_returned(services, std::get<core::SentCode>(sent), masked)) {
        services.login.logger.notice("user " + user + " did not confirm the code sent to " +
                                     describe(request.channel, request.destination));
        return {HelperExit::not_verified, "code not verified; nothing was changed"};
    }
    std::vector<core::SecretString> new_backup_codes;
    std::optional<core::Enrollment> enrollment;
    if (request.enroll) {
        enrollment = delivered_enrollment(services, request, current, new_backup_codes);
    }
    if (HelperOutcome recorded =
            record_verified(services, request, enrollment ? &*enrollment : nullptr);
        recorded.exit != HelperExit::ok) {
        return recorded;
    }
    services.login.logger.notice("user " + user + (request.enroll ? " enrolled " : " verified ") +
                                 describe(request.channel, request.destination) + " by code");
    if (!request.enroll) {
        announce(services, request, current ? &current.value() : nullptr, verified_before);
        return {HelperExit::ok, masked + " is verified."};
    }
    cli::print(std::string(request.channel == core::Channel::sms ? "SMS" : "Email") + " codes to " +
               masked + " are now the second factor of user " + user + ".\n");
    if (!new_backup_codes.empty()) {
        cli::print_backup_codes(new_backup_codes);
    }
    announce(services, request, current ? &current.value() : nullptr, verified_before);
    return {HelperExit::ok, {}};
}

HelperOutcome confirm_totp(const HelperServices& services, const ConfirmTotp& request) {
    const std::string& user = services.account.name;
    core::LoginServices& login = services.login;
    const auto enrollment = services.login.storage.load_enrollment(services.account);
    if (!enrollment) {
        return storage_outcome(enrollment.error(), "your enrollment");
    }
    if (enrollment->method != core::Method::totp) {
        return {HelperExit::usage, "your enrollment is not a TOTP enrollment"};
    }
    // Read before the confirmation adopts the new enrollment.
    const auto before = root_record(services);
    const bool replaced =
        before && state_shows_a_factor(*before) && before->enrollment_id != enrollment->id;
    const std::string verified_before = before ? before->verified_destination : std::string();
    const auto answer = login.conversation.ask_hidden({});
    const auto digits = answer ? core::normalize_typed_code(answer->view()) : std::nullopt;
    if (!digits || digits->size() != enrollment->totp.digits) {
        return {HelperExit::not_verified, "no TOTP code given"};
    }
    core::AttemptRecorder recorder(login.storage, user, services.config, login.logger,
                                   std::nullopt);
    switch (recorder.confirm_new_totp(*enrollment, digits->view(), login.clock.now())) {
        case core::AttemptResult::accepted: break;
        case core::AttemptResult::unavailable:
            return {HelperExit::storage, "your login state cannot be read or written"};
        case core::AttemptResult::locked:
            return {HelperExit::not_verified, "your second factor is locked after wrong codes"};
        case core::AttemptResult::rejected:
        case core::AttemptResult::replayed:
            return {HelperExit::not_verified, "that code does not confirm your new enrollment"};
    }
    core::NoticeAddresses addresses;
    if (!request.previous_email.empty()) {
        addresses.add_if_proven(request.previous_email, verified_before);
    }
    send_notice(services, replaced ? core::ChangeKind::changed : core::ChangeKind::enabled,
                "TOTP app", addresses);
    return {HelperExit::ok, {}};
}

HelperOutcome disable_enrollment(const HelperServices& services) {
    const std::string& user = services.account.name;
    const auto current = services.login.storage.load_enrollment(services.account);
    if (!current) {
        const ErrorKind kind = current.error().kind;
        if (kind == ErrorKind::not_found || kind == ErrorKind::corrupt) {
            if (auto refused = refuse_without_proof(services, current.error())) {
                return std::move(*refused);
            }
        }
        if (kind == ErrorKind::not_found) {
            return {HelperExit::not_enrolled, "you are not enrolled"};
        }
        return storage_outcome(current.error(), "your enrollment");
    }
    if (HelperOutcome proved = prove_current(services); proved.exit != HelperExit::ok) {
        return proved;
    }
    const std::string verified_before = verified_destination(services);
    {
        // Under the user's lock, as root's commands and `store migrate` change
        // an enrollment: a move in progress cannot put the old one back.
        auto opened = services.login.storage.begin(user);
        if (auto removed = services.login.storage.remove_enrollment(services.account); !removed) {
            return storage_outcome(removed.error(), "your enrollment");
        }
        // Nothing is enrolled any more: the next enrollment starts from nothing
        // and must verify its destination again. Spent steps, sends and
        // failures stay.
        if (opened) {
            core::UserState& state = (*opened)->state();
            state.enrollment_id.clear();
            state.backup_used_mask = 0;
            state.verified_destination.clear();
            state.verified_at = 0;
            state.remembered_hosts.clear();
            if (auto committed = (*opened)->commit(); !committed) {
                services.login.logger.error(
                    "removed the enrollment of user " + user +
                    " but cannot reset its state: " + committed.error().message);
            }
        } else {
            services.login.logger.error("removed the enrollment of user " + user +
                                        " but cannot reset its state: " + opened.error().message);
        }
    }  // the lock goes before the notice, which may take it again
    services.login.logger.notice("user " + user + " removed their enrollment");
    send_notice(services, core::ChangeKind::disabled, describe_enrollment(*current),
                proven_address_of(*current, verified_before));
    return {HelperExit::ok, "Code accepted. Removed the enrollment of user " + user + "."};
}

HelperOutcome renew_backup_codes(const HelperServices& services) {
    const std::string& user = services.account.name;
    auto current = services.login.storage.load_enrollment(services.account);
    if (!current) {
        if (current.error().kind == ErrorKind::not_found) {
            return {HelperExit::not_enrolled, "you are not enrolled"};
        }
        return storage_outcome(current.error(), "your enrollment");
    }
    if (HelperOutcome proved = prove_current(services); proved.exit != HelperExit::ok) {
        return proved;
    }
    core::Enrollment& enrollment = current.value();
    const std::vector<core::SecretString> codes =
        core::renew_backup_codes(enrollment, services.config, services.login.random);
    {
        // Held while saving, as `store migrate` holds it while it moves.
        auto opened = services.login.storage.begin(user);
        if (!opened) {
            HelperOutcome failed = storage_outcome(opened.error(), "your login state");
            failed.message += "; the old backup codes stay valid";
            return failed;
        }
        if (auto saved = services.login.storage.save_enrollment(services.account, enrollment);
            !saved) {
            HelperOutcome failed = storage_outcome(saved.error(), "your enrollment");
            failed.message += "; the old backup codes stay valid";
            return failed;
        }
    }
    services.login.logger.notice("user " + user + " made new backup codes");
    cli::print("New backup codes for user " + user +
               ". The old ones no longer work; the authenticator app stays as it is.\n");
    cli::print_backup_codes(codes);
    send_notice(services, core::ChangeKind::backup_codes_renewed, describe_enrollment(enrollment),
                proven_address_of(enrollment, verified_destination(services)));
    return {HelperExit::ok, {}};
}

}  // namespace otpgate::verify
