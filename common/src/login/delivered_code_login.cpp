#include "otpgate/core/login/delivered_code_login.hpp"

#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/login/code_dispatch.hpp"
#include "otpgate/core/login/login_dialogue.hpp"
#include "otpgate/core/login/recorded_check.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/primitives/text.hpp"
#include "otpgate/core/state/sent_code.hpp"

namespace otpgate::core {
namespace {

enum class SendStatus {
    sent,
    throttled,    // too soon or too many: the per-user limits
    refused,      // never to this destination: not verified, or country not allowed
    failed,       // the provider could not take it: failmode decides
    unavailable,  // the state could not be read or written
};

struct SendOutcome {
    SendStatus status = SendStatus::failed;
    std::int64_t retry_after = 0;
    std::string detail;
};

bool is_resend_request(std::string_view answer) {
    const std::string_view trimmed = trim_blanks(answer);
    return trimmed == "r" || trimmed == "R";
}

class DeliveredCodeDialogue {
public:
    DeliveredCodeDialogue(const std::string& user_name, const Enrollment& enrollment,
                          const Config& config, LoginServices& services, AttemptRecorder& recorder,
                          DeliveryLock lock)
        : m_user(user_name),
          m_enrollment(enrollment),
          m_config(config),
          m_services(services),
          m_recorder(recorder),
          m_channel(*channel_of(enrollment.method)),
          m_masked(mask_destination(m_channel, enrollment.destination)),
          m_resends_left(config.max_resends),
          m_locked(lock == DeliveryLock::locked) {}

    LoginOutcome run();

private:
    SendOutcome send_code();
    SendOutcome reserve_send();
    std::string prompt() const;
    std::string who() const {
        return "user " + m_user + " (" + std::string(to_string(m_channel)) + " " + m_masked + ")";
    }
    Logger& log() { return m_services.logger; }

    const std::string& m_user;
    const Enrollment& m_enrollment;
    const Config& m_config;
    LoginServices& m_services;
    AttemptRecorder& m_recorder;
    const Channel m_channel;
    const std::string m_masked;
    unsigned m_resends_left;
    const bool m_locked;  // nothing is sent; the prompts read as if it were
    std::optional<SentCode> m_code;
    std::unique_ptr<MessageSender> m_sender;
    std::string m_note;  // put in front of the next prompt
};

// The checks that must hold before a code may go out, and the send limits,
// are applied under the state lock; the slow delivery happens after it is
// released (see code_dispatch.hpp).
SendOutcome DeliveredCodeDialogue::reserve_send() {
    const auto reservation = reserve_code_send(
        m_services.storage, m_config, m_user, m_channel, m_services.clock.now(), log(),
        [this](const UserState& state) -> std::string {
            if (state.verified_destination !=
                destination_fingerprint(m_channel, m_enrollment.destination)) {
                return "that destination was never verified (otpgate enroll " +
                       std::string(to_string(m_enrollment.method)) + ")";
            }
            if (m_channel == Channel::sms &&
                !sms_country_allowed(m_enrollment.destination, m_config.sms_allowed_countries)) {
                return "its country calling code is not in sms_allowed_countries";
            }
            return {};
        });
    if (!reservation) {
        log().error("cannot send a code to user " + m_user + ": " + reservation.error().message);
        return {SendStatus::unavailable, 0, reservation.error().message};
    }
    switch (reservation->kind) {
        case SendReservation::Kind::refused:
            log().error("no code sent to " + who() + ": " + reservation->reason);
            return {SendStatus::refused, 0, reservation->reason};
        case SendReservation::Kind::throttled:
            log().notice("no code sent to " + who() + ": send limit reached, next in " +
                         std::to_string(reservation->retry_after) + " s");
            return {SendStatus::throttled, reservation->retry_after, {}};
        case SendReservation::Kind::granted: break;
    }
    return {SendStatus::sent, 0, {}};
}

SendOutcome DeliveredCodeDialogue::send_code() {
    if (m_locked) {
        log().notice("no code sent to " + who() + ": the second factor is locked");
        return {SendStatus::sent, 0, {}};
    }
    SendOutcome reserved = reserve_send();
    if (reserved.status != SendStatus::sent) {
        return reserved;
    }
    if (!m_sender) {
        auto sender = m_services.make_sender(m_channel);
        if (!sender) {
            log().error("cannot send a code to " + who() + ": " + sender.error().message);
            return {SendStatus::failed, 0, sender.error().message};
        }
        m_sender = std::move(sender.value());
    }
    const MessageKind kind =
        m_config.proves_change ? MessageKind::change_code : MessageKind::login_code;
    const CodeRequest request{m_channel, kind, m_enrollment.destination, m_user,
                              m_services.host_name};
    IssuedCode issued =
        issue_and_send(m_config, request, *m_sender, m_services.random, m_services.clock.now());
    if (!issued.record) {
        log().error("could not send a code to " + who() + ": " + issued.failure);
        return {SendStatus::failed, 0, issued.failure};
    }
    m_code = issued.record;  // replaces (and so kills) any earlier code of this login
    log().info("sent a login code to " + who());
    return {SendStatus::sent, 0, {}};
}

std::string DeliveredCodeDialogue::prompt() const {
    if (!m_code && !m_locked) {
        return m_note + "Backup code: ";
    }
    return m_note + "Code sent by " + std::string(to_string(m_channel)) + " to " + m_masked +
           (m_resends_left > 0 ? " (r = resend): " : ": ");
}

LoginOutcome DeliveredCodeDialogue::run() {
    const std::string help = m_config.help_text.empty() ? "" : m_config.help_text + " ";
    const SendOutcome first = send_code();
    switch (first.status) {
        case SendStatus::unavailable: return LoginOutcome::unavailable;
        case SendStatus::sent: break;
        case SendStatus::refused:
            m_resends_left = 0;
            m_note = "No code can be sent. " + help;
            break;
        case SendStatus::throttled:
            m_note = "Too many codes sent; try again in " + std::to_string(first.retry_after) +
                     " s. " + help;
            break;
        case SendStatus::failed:
            if (m_config.failmode == Config::FailMode::safe) {
                log().warning("FAILMODE SAFE: letting " + who() +
                              " in WITHOUT a second factor because the code could not be "
                              "delivered (" +
                              first.detail + ")");
                return LoginOutcome::success;
            }
            m_note = "The code could not be sent. " + help;
            break;
    }

    unsigned attempt = 0;
    while (attempt < m_config.max_attempts) {
        const std::optional<SecretString> answer = m_services.conversation.ask_hidden(prompt());
        if (!answer) {
            log().error("the application could not ask user " + m_user + " for a code");
            return LoginOutcome::conversation_failed;
        }
        m_note.clear();
        if (is_resend_request(answer->view()) && m_resends_left > 0) {
            --m_resends_left;
            const SendOutcome again = send_code();
            switch (again.status) {
                case SendStatus::unavailable: return LoginOutcome::unavailable;
                case SendStatus::sent: m_note = "New code sent. "; break;
                case SendStatus::throttled:
                    m_note = "Wait " + std::to_string(again.retry_after) +
                             " s before asking for another code. ";
                    break;
                case SendStatus::refused:
                case SendStatus::failed: m_note = "The new code could not be sent. " + help; break;
            }
            continue;  // bounded by max_resends, so not counted as an attempt
        }
        const auto digits = normalize_typed_code(answer->view());
        const std::int64_t now = m_services.clock.now();
        bool expired = false;
        bool locked_out = false;  // right, but a lock began during this login
        if (digits && m_code && digits->size() == m_config.code_digits) {
            switch (m_code->check(digits->view(), now)) {
                case SentCode::Check::match:
                    m_code.reset();  // used: it dies
                    switch (m_recorder.accept_sent_code(m_enrollment, now)) {
                        case AttemptResult::accepted:
                            log().info("user " + m_user + " authenticated with a code sent by " +
                                       std::string(to_string(m_channel)));
                            return LoginOutcome::success;
                        case AttemptResult::unavailable: return LoginOutcome::unavailable;
                        case AttemptResult::locked:
                        case AttemptResult::rejected:
                        case AttemptResult::replayed: locked_out = true; break;
                    }
                    break;
                case SentCode::Check::expired: expired = true; break;
                case SentCode::Check::mismatch: break;
            }
        }
        if (digits && !expired && !locked_out) {
            // Not the sent code: a backup code, or a guess counted toward the
            // lockout. Checked like any typed code, at the same cost whoever
            // the user is (code_check.hpp).
            switch (m_recorder.check_and_record(m_enrollment, digits->view(), now)) {
                case AttemptResult::accepted: return LoginOutcome::success;
                case AttemptResult::unavailable: return LoginOutcome::unavailable;
                case AttemptResult::rejected:
                case AttemptResult::replayed:
                case AttemptResult::locked: break;
            }
        } else if (expired) {
            log().notice("expired code from user " + m_user);
        } else if (!locked_out) {
            log().notice("unusable answer from user " + m_user + " (" +
                         std::to_string(answer->size()) + " characters)");
        }
        if (++attempt < m_config.max_attempts) {
            m_note = wrong_code_note(m_config, attempt + 1 == m_config.max_attempts, expired);
            m_services.clock.sleep_for(std::chrono::milliseconds(m_config.fail_delay_ms));
        }
    }
    if (!m_config.help_text.empty()) {
        m_services.conversation.show_error(m_config.help_text);
    }
    log().notice("second factor failed for " + who() + " after " +
                 std::to_string(m_config.max_attempts) + " attempts");
    return LoginOutcome::denied;
}

}  // namespace

LoginOutcome run_delivered_code_login(const std::string& user_name, const Enrollment& enrollment,
                                      const Config& config, LoginServices& services,
                                      AttemptRecorder& recorder, DeliveryLock lock) {
    DeliveredCodeDialogue dialogue(user_name, enrollment, config, services, recorder, lock);
    return dialogue.run();
}

}  // namespace otpgate::core
