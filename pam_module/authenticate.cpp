#include "authenticate.hpp"

#include <string>
#include <vector>

#include <security/pam_ext.h>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/login/login_session.hpp"
#include "otpgate/core/system/clock.hpp"
#include "pam_conversation.hpp"
#include "pam_logger.hpp"

namespace otpgate::pam {
namespace {

// One switch from outcomes to PAM codes. Unavailable fails closed as a
// plain authentication failure whatever control flag the stack uses.
int to_pam_code(core::LoginOutcome outcome) {
    switch (outcome) {
        case core::LoginOutcome::success: return PAM_SUCCESS;
        case core::LoginOutcome::denied: return PAM_AUTH_ERR;
        case core::LoginOutcome::not_applicable: return PAM_IGNORE;
        case core::LoginOutcome::conversation_failed: return PAM_CONV_ERR;
        case core::LoginOutcome::unavailable: return PAM_AUTH_ERR;
    }
    return PAM_SERVICE_ERR;
}

// A string item the application set, or empty.
std::string string_item(pam_handle_t* pamh, int item_type) {
    const void* item = nullptr;
    if (pam_get_item(pamh, item_type, &item) != PAM_SUCCESS || item == nullptr) {
        return {};
    }
    return static_cast<const char*>(item);
}

}  // namespace

int authenticate(pam_handle_t* pamh, int argc, const char** argv) {
    PamLogger logger(pamh);
    const std::vector<std::string_view> arguments(argv, argv + (argc > 0 ? argc : 0));
    const core::LoginContext context{string_item(pamh, PAM_SERVICE), string_item(pamh, PAM_RHOST)};
    core::Config config;
    if (!core::load_module_config(config, core::split_module_arguments(arguments), logger,
                                  context.service)) {
        logger.error("configuration errors; refusing to authenticate");
        return PAM_SERVICE_ERR;
    }

    const char* user = nullptr;
    const int user_rc = pam_get_user(pamh, &user, nullptr);
    if (user_rc != PAM_SUCCESS || user == nullptr) {
        logger.error("cannot determine the user name");
        return user_rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_USER_UNKNOWN;
    }
    // libpam applies the longest requested delay when the stack fails.
    pam_fail_delay(pamh, config.fail_delay_ms * 1000U);

    PamConversation conversation(pamh);
    const core::SystemClock clock;
    const core::LoginOutcome outcome =
        core::run_login(user, config, conversation, logger, clock, context);
    logger.debug(std::string("result for user ") + user + ": " +
                 std::string(core::to_string(outcome)));
    return to_pam_code(outcome);
}

}  // namespace otpgate::pam
