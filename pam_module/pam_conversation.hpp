// Asking the user through the application's PAM conversation function.
#pragma once

#include <security/pam_modules.h>

#include "otpgate/core/login/login_contract.hpp"

namespace otpgate::pam {

class PamConversation final : public core::Conversation {
public:
    explicit PamConversation(pam_handle_t* pamh) : m_pamh(pamh) {}
    std::optional<core::SecretString> ask_hidden(std::string_view prompt) override;
    void show_error(std::string_view message) override;

private:
    std::optional<core::SecretString> converse(int style, std::string_view text);
    pam_handle_t* m_pamh;
};

}  // namespace otpgate::pam
