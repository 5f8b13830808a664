// Sending a fresh code: first a send is reserved under the per-user limits
// (in one transaction of the user's state), then, with the lock released so that a slow
// provider never holds up other logins, a code is issued and sent. Used by
// the login dialogue and by enrollment.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/state/sent_code.hpp"
#include "otpgate/core/state/user_state.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

struct SendReservation {
    enum class Kind { granted, refused, throttled } kind = Kind::refused;
    std::int64_t retry_after = 0;  // throttled: seconds until a send is allowed
    std::string reason;            // refused: why; throttled: which limit, if not the user's
};

// In the user's transaction: `refusal(state)` may name a reason not to
// send at all; otherwise the send limits are checked and, when they allow
// it, the send is recorded. An error when the state cannot be used.
using SendRefusal = std::function<std::string(const UserState&)>;

// The cooldown stops a stream of codes to one destination. Right after the
// user proved the current method with a code, the one code that verifies a
// new destination may follow at once; the hourly cap still counts it.
enum class Cooldown { applies, waived_after_proof };

// An SMS also counts toward host_max_sms_per_hour, checked after the
// user's own limits (a user at their limit spends nothing of the host's).
Result<SendReservation> reserve_code_send(Storage& storage, const Config& config,
                                          const std::string& user_name, Channel channel,
                                          std::int64_t now, Logger& logger,
                                          const SendRefusal& refusal = {},
                                          Cooldown cooldown = Cooldown::applies);

unsigned code_lifetime(const Config& config, Channel channel);  // seconds

struct CodeRequest {
    Channel channel = Channel::sms;
    MessageKind kind = MessageKind::login_code;
    std::string to;
    std::string user;
    std::string host;
};

struct IssuedCode {
    std::optional<SentCode> record;  // set when the provider took the message
    std::string failure;             // otherwise, the provider's detail
};

// A fresh code of config.code_digits, valid for code_lifetime(), sent by
// `sender`; the plain code exists only inside the message.
IssuedCode issue_and_send(const Config& config, const CodeRequest& request, MessageSender& sender,
                          RandomSource& random, std::int64_t now);

}  // namespace otpgate::core
