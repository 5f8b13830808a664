#include "login_record_text.hpp"

#include "output.hpp"

namespace otpgate::cli {

std::string last_success_text(const core::UserState* state) {
    if (state == nullptr || state->last_success == 0) {
        return "never";
    }
    return format_utc(state->last_success);
}

std::string lockout_text(const core::UserState* state, const core::LockoutPolicy& policy,
                         std::int64_t now, const std::string& user_name) {
    if (policy.max_failures == 0) {
        return "off (lockout_failures = 0)";
    }
    if (state == nullptr) {
        return "not locked";
    }
    if (const auto remaining = core::lock_remaining(*state, policy, now)) {
        return "LOCKED for " + std::to_string(*remaining) + " s more (until " +
               format_utc(now + *remaining) +
               ") after repeated wrong codes; `otpgate unlock --user " + user_name + "` lifts it";
    }
    const unsigned failures = core::failures_in_window(*state, policy, now);
    if (failures == 0) {
        return "not locked";
    }
    return "not locked (" + std::to_string(failures) + " wrong code" + (failures == 1 ? "" : "s") +
           " in the last " + std::to_string(policy.window) + " s; " +
           std::to_string(policy.max_failures) + " lock it)";
}

std::string lockout_summary(const core::UserState* state, const core::LockoutPolicy& policy,
                            std::int64_t now) {
    if (state == nullptr || policy.max_failures == 0) {
        return "no";
    }
    if (const auto remaining = core::lock_remaining(*state, policy, now)) {
        return "locked until " + format_utc(now + *remaining);
    }
    const unsigned failures = core::failures_in_window(*state, policy, now);
    if (failures == 0) {
        return "no";
    }
    return std::to_string(failures) + " wrong code" + (failures == 1 ? "" : "s");
}

}  // namespace otpgate::cli
