#include "otpgate/core/login/code_dispatch.hpp"

#include "otpgate/core/state/send_throttle.hpp"

namespace otpgate::core {

Result<SendReservation> reserve_code_send(Storage& storage, const Config& config,
                                          const std::string& user_name, Channel channel,
                                          std::int64_t now, Logger& logger,
                                          const SendRefusal& refusal, Cooldown cooldown) {
    auto opened = storage.begin(user_name);
    if (!opened) {
        return opened.error();
    }
    UserTransaction& transaction = **opened;
    UserState& state = transaction.state();
    if (refusal) {
        if (std::string reason = refusal(state); !reason.empty()) {
            return SendReservation{SendReservation::Kind::refused, 0, std::move(reason)};
        }
    }
    const unsigned cooldown_seconds = cooldown == Cooldown::applies ? config.send_cooldown : 0U;
    const ThrottleVerdict verdict =
        check_send_throttle(state, now, {cooldown_seconds, config.max_sends_per_hour});
    if (!verdict.allowed) {
        return SendReservation{SendReservation::Kind::throttled, verdict.retry_after, {}};
    }
    const unsigned host_cap = config.policy.host_max_sms_per_hour;
    // The shared store also counts the fleet's SMS (fleet_max_sms_per_hour).
    const bool fleet_cap =
        config.store == StoreKind::postgresql && config.database.fleet_max_sms_per_hour > 0;
    if (channel == Channel::sms && (host_cap > 0 || fleet_cap)) {
        // Inside the user's transaction, after the user's own limits.
        const auto host = transaction.reserve_host_sms(host_cap, now);
        if (!host) {
            return host.error();
        }
        if (!host->allowed) {
            const bool fleet = host->cap_name == "fleet_max_sms_per_hour";
            const std::string cap_name = fleet ? "fleet_max_sms_per_hour" : "host_max_sms_per_hour";
            const unsigned cap = fleet ? config.database.fleet_max_sms_per_hour : host_cap;
            logger.warning(cap_name + " (" + std::to_string(cap) + ") reached: no SMS for user " +
                           user_name + " for " + std::to_string(host->retry_after) + " s");
            return SendReservation{SendReservation::Kind::throttled, host->retry_after, cap_name};
        }
    }
    record_send(state, now);
    if (auto saved = transaction.commit(); !saved) {
        return saved.error();
    }
    return SendReservation{SendReservation::Kind::granted, 0, {}};
}

unsigned code_lifetime(const Config& config, Channel channel) {
    return channel == Channel::sms ? config.sms_code_lifetime : config.email_code_lifetime;
}

IssuedCode issue_and_send(const Config& config, const CodeRequest& request, MessageSender& sender,
                          RandomSource& random, std::int64_t now) {
    const unsigned lifetime = code_lifetime(config, request.channel);
    auto [record, code] = SentCode::issue(random, config.code_digits, now, lifetime);
    OutgoingMessage message;
    message.channel = request.channel;
    message.kind = request.kind;
    message.to = request.to;
    message.user = request.user;
    message.host = request.host;
    message.code = std::move(code);
    message.valid_minutes = lifetime / 60;
    const DeliveryResult result = sender.send(message);
    if (!result.delivered) {
        return {std::nullopt, result.detail};
    }
    return {record, {}};
}

}  // namespace otpgate::core
