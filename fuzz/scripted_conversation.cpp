#include "scripted_conversation.hpp"

#include <cstdlib>
#include <cstring>

#include "fake_time.hpp"
#include "fault_injection.hpp"
#include "otpgate/core/primitives/otp.hpp"

namespace otpgate::fuzz {
namespace {

// The ways people type a code: as shown, split in two, in groups of
// three, or with blanks around it.
std::string with_separators(const std::string& digits, std::uint8_t style) {
    switch (style % 4) {
        case 1: return digits.substr(0, digits.size() / 2) + " " + digits.substr(digits.size() / 2);
        case 2: {
            std::string grouped;
            for (std::size_t i = 0; i < digits.size(); ++i) {
                if (i > 0 && i % 3 == 0) {
                    grouped.push_back('-');
                }
                grouped.push_back(digits[i]);
            }
            return grouped;
        }
        case 3: return " \t" + digits + " ";
        default: return digits;
    }
}

bool is_prompt(const pam_message* message) {
    return message->msg_style == PAM_PROMPT_ECHO_OFF || message->msg_style == PAM_PROMPT_ECHO_ON;
}

}  // namespace

std::vector<std::string> codes_in_outboxes(const LoginSandbox& sandbox) {
    constexpr std::string_view key = "\"code\":\"";
    std::vector<std::string> codes;
    for (const bool sms : {true, false}) {
        const auto text = LoginSandbox::read_file(sandbox.outbox(sms));
        for (std::size_t at = text ? text->find(key) : std::string::npos; at != std::string::npos;
             at = text->find(key, at + 1)) {
            const std::size_t start = at + key.size();
            const std::size_t end = text->find('"', start);
            codes.push_back(text->substr(start, end == std::string::npos ? end : end - start));
        }
    }
    return codes;
}

ScriptedConversation::ScriptedConversation(std::vector<Reply> replies, const LoginWorld& world,
                                           const LoginSandbox& sandbox)
    : m_replies(std::move(replies)), m_world(world), m_sandbox(sandbox) {}

int ScriptedConversation::converse(int count, const pam_message** messages, pam_response** replies,
                                   void* self) {
    const FaultsPaused paused;
    return static_cast<ScriptedConversation*>(self)->answer(count, messages, replies);
}

std::string ScriptedConversation::text_of(const Reply& reply) const {
    const auto& enrollment = m_world.enrollment;
    switch (reply.kind) {
        case Reply::Kind::text: return reply.text.substr(0, reply.text.find('\0'));
        case Reply::Kind::totp_code:
        case Reply::Kind::wrong_code: {
            if (!enrollment || enrollment->method != core::Method::totp) {
                return "123456";
            }
            const std::int64_t at = fake_now() + reply.step * std::int64_t{enrollment->totp.period};
            std::string code(core::totp(enrollment->totp_secret, at, enrollment->totp).view());
            if (reply.kind == Reply::Kind::wrong_code) {
                code.back() = static_cast<char>('0' + (code.back() - '0' + 1) % 10);
            }
            return with_separators(code, reply.separators);
        }
        case Reply::Kind::backup_code:
            if (m_world.backup_codes.empty()) {
                return "1234567890";
            }
            return with_separators(m_world.backup_codes[reply.index % m_world.backup_codes.size()],
                                   reply.separators);
        case Reply::Kind::sent_code: {
            const auto codes = codes_in_outboxes(m_sandbox);
            return codes.empty() ? "000000" : codes.back();
        }
        case Reply::Kind::resend: return "r";
        default: return {};
    }
}

int ScriptedConversation::answer(int count, const pam_message** messages, pam_response** replies) {
    if (count <= 0 || count > PAM_MAX_NUM_MSG || messages == nullptr || replies == nullptr) {
        return PAM_CONV_ERR;
    }
    *replies = nullptr;
    int prompt = -1;
    for (int i = 0; i < count; ++i) {
        if (is_prompt(messages[i])) {
            prompt = i;
        }
    }
    // Messages without a prompt get replies without text, as from most
    // applications; they take no scripted reply.
    const Reply::Kind kind = prompt < 0                  ? Reply::Kind::no_text
                             : m_next < m_replies.size() ? m_replies[m_next].kind
                                                         : Reply::Kind::conversation_error;
    if (prompt >= 0 && m_next < m_replies.size()) {
        ++m_next;
    }
    switch (kind) {
        case Reply::Kind::no_reply: return PAM_SUCCESS;
        case Reply::Kind::conversation_error: return PAM_CONV_ERR;
        case Reply::Kind::buffer_error: return PAM_BUF_ERR;
        default: break;
    }
    // Allocated with malloc, as libpam's applications do: the module frees them.
    auto* answers = static_cast<pam_response*>(
        std::calloc(static_cast<std::size_t>(count), sizeof(pam_response)));
    if (answers == nullptr) {
        return PAM_BUF_ERR;
    }
    if (prompt >= 0 && kind != Reply::Kind::no_text) {
        const std::string text = text_of(m_replies[m_next - 1]);
        answers[prompt].resp = strdup(text.c_str());
        if (kind != Reply::Kind::error_with_reply) {
            m_typed.push_back(text);
        }
    }
    *replies = answers;
    return kind == Reply::Kind::error_with_reply ? PAM_CONV_ERR : PAM_SUCCESS;
}

}  // namespace otpgate::fuzz
