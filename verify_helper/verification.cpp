#include "verification.hpp"

#include "otpgate/core/change_notice.hpp"
#include "otpgate/core/code_dispatch.hpp"
#include "otpgate/core/destination.hpp"
#include "otpgate/core/enrollment_store.hpp"
#include "otpgate/core/state_store.hpp"
#include "terminal_conversation.hpp"

namespace otpgate::verify {
namespace {

using core::ErrorKind;

HelperOutcome storage_outcome(const core::Error& error, const std::string& what) {
    if (error.kind == ErrorKind::unsafe) {
        return {HelperExit::not_permitted, "refusing " + what + ": " + error.message};
    }
    return {HelperExit::storage, what + ": " + error.message};
}

std::string describe(core::Channel channel, const std::string& destination) {
    return std::string(core::to_string(channel)) + " " +
           core::mask_destination(channel, destination);
}

bool verified_already(const HelperServices& services, const core::Enrollment& current,
                      const VerifyDestination& request) {
    if (core::channel_of(current.method) != request.channel ||
        current.destination != request.destination) {
        return false;
    }
    const core::StateStore states(services.config.state_dir, services.config.lock_timeout);
    auto locked = states.lock(services.account.name);
    return locked && locked->state().verified_destination ==
                         core::destination_fingerprint(request.channel, request.destination);
}

// Sends the one verification code; the record of it, or why not.
std::variant<core::SentCode, HelperOutcome> send_verification_code(
    const HelperServices& services, const VerifyDestination& request, core::Cooldown cooldown) {
    const core::Config& config = services.config;
    const std::string& user = services.account.name;
    core::LoginServices& login = services.login;
    const auto reservation = core::reserve_code_send(config, user, request.channel, login.clock.now(),
                                                     login.logger, {}, cooldown);
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
                           describe(request.channel, request.destination) + ": " +
                           issued.failure);
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

HelperOutcome record_verified(const HelperServices& services, const VerifyDestination& request) {
    const std::string& user = services.account.name;
    const core::StateStore states(services.config.state_dir, services.config.lock_timeout);
    auto locked = states.lock(user);
    if (!locked) {
        return storage_outcome(locked.error(), "the login state of user " + user);
    }
    locked->state().verified_destination =
        core::destination_fingerprint(request.channel, request.destination);
    locked->state().verified_at = services.login.clock.now();
    if (auto committed = locked->commit(); !committed) {
        return storage_outcome(committed.error(), "the login state of user " + user);
    }
    return {HelperExit::ok, {}};
}

void announce(const HelperServices& services, const VerifyDestination& request,
              const core::Enrollment* previous) {
    core::ChangeNotice notice;
    notice.kind = previous != nullptr ? core::ChangeKind::changed : core::ChangeKind::enabled;
    notice.description = describe(request.channel, request.destination) + " (verified by code)";
    notice.time = services.login.clock.now();
    notice.host = services.login.host_name;
    std::vector<std::string> addresses;
    if (request.channel == core::Channel::email) {
        addresses.push_back(request.destination);
    }
    if (previous != nullptr && previous->method == core::Method::email) {
        addresses.push_back(previous->destination);
    }
    core::notify_change(services.config, services.account, notice, addresses,
                        services.login.logger);
}

}  // namespace

HelperOutcome prove_current(const HelperServices& services) {
    const core::EnrollmentStore store(services.config.enrollment_path, services.config.lock_timeout);
    const auto current = store.load(services.account);
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
    const core::EnrollmentStore store(services.config.enrollment_path, services.config.lock_timeout);
    auto current = store.load(services.account);
    if (!current && current.error().kind != ErrorKind::not_found &&
        current.error().kind != ErrorKind::corrupt) {
        return storage_outcome(current.error(), "your enrollment");
    }
    core::Cooldown cooldown = core::Cooldown::applies;
    if (current) {
        if (verified_already(services, *current, request)) {
            return {HelperExit::ok, masked + " is already verified."};
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
    cli::tell("A code was sent by " + std::string(core::to_string(request.channel)) + " to " + masked +
         ".");
    if (!code_returned(services, std::get<core::SentCode>(sent), masked)) {
        services.login.logger.notice("user " + user + " did not confirm the code sent to " +
                                     describe(request.channel, request.destination));
        return {HelperExit::not_verified, "code not verified; nothing was changed"};
    }
    if (HelperOutcome recorded = record_verified(services, request); recorded.exit != HelperExit::ok) {
        return recorded;
    }
    services.login.logger.notice("user " + user + " verified " +
                                 describe(request.channel, request.destination) + " by code");
    announce(services, request, current ? &current.value() : nullptr);
    return {HelperExit::ok, masked + " is verified."};
}

}  // namespace otpgate::verify
