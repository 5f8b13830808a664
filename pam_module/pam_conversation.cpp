#include "pam_conversation.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <openssl/crypto.h>
#include <security/pam_appl.h>

namespace otpgate::pam {
namespace {

// The application allocates the replies with malloc and hands them to us;
// they may hold a code, so they are wiped before being freed.
struct ReplyDeleter {
    void operator()(pam_response* reply) const noexcept {
        if (reply == nullptr) {
            return;
        }
        if (reply->resp != nullptr) {
            OPENSSL_cleanse(reply->resp, std::strlen(reply->resp));
            std::free(reply->resp);
        }
        std::free(reply);
    }
};
using OwnedReply = std::unique_ptr<pam_response, ReplyDeleter>;

}  // namespace

std::optional<core::SecretString> PamConversation::converse(int style, std::string_view text) {
    const void* item = nullptr;
    if (pam_get_item(m_pamh, PAM_CONV, &item) != PAM_SUCCESS || item == nullptr) {
        return std::nullopt;
    }
    const auto* conversation = static_cast<const pam_conv*>(item);
    if (conversation->conv == nullptr) {
        return std::nullopt;
    }
    const std::string message_text(text);
    pam_message message{style, message_text.c_str()};
    const pam_message* messages[] = {&message};
    pam_response* raw_reply = nullptr;
    const int rc = conversation->conv(1, messages, &raw_reply, conversation->appdata_ptr);
    const OwnedReply reply(raw_reply);
    if (rc != PAM_SUCCESS) {
        return std::nullopt;
    }
    if (style != PAM_PROMPT_ECHO_OFF && style != PAM_PROMPT_ECHO_ON) {
        return core::SecretString{};
    }
    if (reply == nullptr || reply->resp == nullptr) {
        return std::nullopt;
    }
    return core::SecretString(std::string_view(reply->resp, ::strnlen(reply->resp, 4096)));
}

std::optional<core::SecretString> PamConversation::ask_hidden(std::string_view prompt) {
    return converse(PAM_PROMPT_ECHO_OFF, prompt);
}

void PamConversation::show_error(std::string_view message) {
    static_cast<void>(converse(PAM_ERROR_MSG, message));
}

}  // namespace otpgate::pam
