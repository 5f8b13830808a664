// How the login record of a user (last success, lockout) reads in
// `otpgate status` and `otpgate list`.
#pragma once

#include <cstdint>
#include <string>

#include "otpgate/core/state/lockout.hpp"
#include "otpgate/core/state/user_state.hpp"

namespace otpgate::cli {

// "2026-01-01 00:00:15 UTC", or "never".
std::string last_success_text(const core::UserState* state);

// For status: "LOCKED for 812 s more (until ...) after repeated wrong codes;
// `otpgate unlock --user alice` lifts it", "not locked (2 wrong codes in
// the last 300 s; 5 lock it)", "off (lockout_failures = 0)".
std::string lockout_text(const core::UserState* state, const core::LockoutPolicy& policy,
                         std::int64_t now, const std::string& user_name);

// For list: "locked until 2026-01-01 00:15:15 UTC", "2 wrong codes", "no".
std::string lockout_summary(const core::UserState* state, const core::LockoutPolicy& policy,
                            std::int64_t now);

}  // namespace otpgate::cli
