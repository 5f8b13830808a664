#include "otpgate/core/state/send_throttle.hpp"

#include <algorithm>

namespace otpgate::core {
namespace {

constexpr std::int64_t hour = 3600;

}  // namespace

ThrottleVerdict check_send_throttle(const UserState& state, std::int64_t now,
                                    const SendPolicy& policy) {
    std::int64_t retry_after = 0;
    if (!state.recent_sends.empty()) {
        // A clock that went backwards must not open the gate: a send "in
        // the future" counts as just now.
        const std::int64_t last = std::min(state.recent_sends.back(), now);
        retry_after = std::max<std::int64_t>(retry_after, last + policy.cooldown_seconds - now);
    }
    std::vector<std::int64_t> within_hour;
    for (const std::int64_t sent : state.recent_sends) {
        if (sent > now - hour) {
            within_hour.push_back(std::min(sent, now));
        }
    }
    if (within_hour.size() >= policy.max_per_hour) {
        // Allowed again when the oldest send that counts leaves the hour.
        const std::int64_t oldest_counted = within_hour[within_hour.size() - policy.max_per_hour];
        retry_after = std::max<std::int64_t>(retry_after, oldest_counted + hour - now);
    }
    return ThrottleVerdict{retry_after <= 0, std::max<std::int64_t>(retry_after, 0), {}};
}

void record_send(UserState& state, std::int64_t now) {
    auto& sends = state.recent_sends;
    sends.erase(std::remove_if(sends.begin(), sends.end(),
                               [now](std::int64_t sent) { return sent <= now - hour; }),
                sends.end());
    sends.push_back(now);
    if (sends.size() > max_recorded_sends) {
        sends.erase(sends.begin(), sends.end() - static_cast<std::ptrdiff_t>(max_recorded_sends));
    }
}

}  // namespace otpgate::core
