// How often codes may be sent to one user, across logins: a cooldown
// between sends and a cap per hour, to bound cost and SMS pumping. The
// record lives in the root-owned state, so users cannot reset it.
#pragma once

#include <cstdint>
#include <string_view>

#include "otpgate/core/state/user_state.hpp"

namespace otpgate::core {

struct SendPolicy {
    unsigned cooldown_seconds = 30;
    unsigned max_per_hour = 10;
};

struct ThrottleVerdict {
    bool allowed = false;
    std::int64_t retry_after = 0;  // seconds until a send is allowed again
    // The limit that refused, for logs ("fleet_max_sms_per_hour"); empty:
    // the one the caller asked about.
    std::string_view cap_name;
};

ThrottleVerdict check_send_throttle(const UserState& state, std::int64_t now,
                                    const SendPolicy& policy);

// Records a send at `now`, forgetting sends older than an hour.
void record_send(UserState& state, std::int64_t now);

}  // namespace otpgate::core
