#include "otpgate/core/state/lockout.hpp"

#include <algorithm>

namespace otpgate::core {

std::optional<std::int64_t> lock_remaining(const UserState& state, const LockoutPolicy& policy,
                                           std::int64_t now) {
    if (policy.max_failures == 0 || state.locked_at == 0) {
        return std::nullopt;
    }
    const auto duration = static_cast<std::int64_t>(policy.duration);
    const std::int64_t remaining = std::min(state.locked_at + duration - now, duration);
    if (remaining <= 0) {
        return std::nullopt;
    }
    return remaining;
}

unsigned failures_in_window(const UserState& state, const LockoutPolicy& policy, std::int64_t now) {
    const std::int64_t since = now - static_cast<std::int64_t>(policy.window);
    return static_cast<unsigned>(std::count_if(state.recent_failures.begin(),
                                               state.recent_failures.end(),
                                               [since](std::int64_t at) { return at > since; }));
}

bool record_failure(UserState& state, const LockoutPolicy& policy, std::int64_t now) {
    auto& failures = state.recent_failures;
    const std::int64_t since = now - static_cast<std::int64_t>(policy.window);
    failures.erase(std::remove_if(failures.begin(), failures.end(),
                                  [since](std::int64_t at) { return at <= since; }),
                   failures.end());
    // A clock that went back must not make old failures look newer than now.
    for (auto& at : failures) {
        at = std::min(at, now);
    }
    failures.push_back(now);
    if (failures.size() > max_recorded_failures) {
        failures.erase(failures.begin(),
                       failures.end() - static_cast<std::ptrdiff_t>(max_recorded_failures));
    }
    if (policy.max_failures == 0 || failures.size() < policy.max_failures) {
        return false;
    }
    // Locked: the count starts over, so the user has the full number of
    // tries again once the lock ends.
    state.locked_at = now;
    failures.clear();
    return true;
}

void record_success(UserState& state, std::int64_t now) {
    state.last_success = now;
    state.recent_failures.clear();
    state.locked_at = 0;
}

void clear_lockout(UserState& state) {
    state.recent_failures.clear();
    state.locked_at = 0;
}

}  // namespace otpgate::core
