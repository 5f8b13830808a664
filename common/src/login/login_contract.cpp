#include "otpgate/core/login/login_contract.hpp"

namespace otpgate::core {

std::string_view to_string(LoginOutcome outcome) {
    switch (outcome) {
        case LoginOutcome::success: return "success";
        case LoginOutcome::denied: return "denied";
        case LoginOutcome::not_applicable: return "not applicable";
        case LoginOutcome::conversation_failed: return "conversation failed";
        case LoginOutcome::unavailable: return "unavailable";
    }
    return "?";
}

}  // namespace otpgate::core
