// Lockout after repeated wrong codes: after `max_failures` wrong codes
// within `window` seconds, the user's second factor refuses every code for
// `duration` seconds. Only failures count, never successes, and a code
// typed while locked is neither checked nor counted: a lock ends
// `duration` after it began whatever happens meanwhile, so nobody can keep
// a user out by spending attempts during it. Time is a parameter; the
// record lives in the root-owned state (user_state.hpp).
#pragma once

#include <cstdint>
#include <optional>

#include "otpgate/core/state/user_state.hpp"

namespace otpgate::core {

struct LockoutPolicy {
    unsigned max_failures = 5;  // 0: no lockout
    unsigned window = 300;      // seconds
    unsigned duration = 900;    // seconds
};

// Seconds the lock has left, or nullopt when the user is not locked. A
// lock that began "in the future" (the clock went back) counts from now.
std::optional<std::int64_t> lock_remaining(const UserState& state, const LockoutPolicy& policy,
                                           std::int64_t now);

// Wrong codes within the window ending at `now`.
unsigned failures_in_window(const UserState& state, const LockoutPolicy& policy, std::int64_t now);

// Records a wrong code at `now`. True when this failure started a lock.
// Call only when not locked (check lock_remaining first).
bool record_failure(UserState& state, const LockoutPolicy& policy, std::int64_t now);

// A correct code: the count starts over and any expired lock is forgotten.
void record_success(UserState& state, std::int64_t now);

// Root's `otpgate unlock`: no lock and no failures counted.
void clear_lockout(UserState& state);

}  // namespace otpgate::core
