#include "scripted_conversation.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

namespace otpgate::test {
namespace {

// Frees what this conversation allocated when it fails after all. The
// answers are typed codes: wiped first (up to the first NUL, which is all
// of any code; a hostile reply's bytes after a NUL are no secret).
void free_replies(pam_response* replies, int count) noexcept {
    for (int i = 0; i < count; ++i) {
        if (replies[i].resp != nullptr) {
            explicit_bzero(replies[i].resp, std::strlen(replies[i].resp));
            std::free(replies[i].resp);
        }
    }
    std::free(replies);
}

struct ReplyArrayDeleter {
    int count = 0;
    void operator()(pam_response* replies) const noexcept { free_replies(replies, count); }
};

// A malloc'd copy of every byte of `text`, NULs included, and a final NUL.
char* copy_reply(const std::string& text) noexcept {
    auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
    if (copy != nullptr) {
        std::memcpy(copy, text.data(), text.size());
        copy[text.size()] = '\0';
    }
    return copy;
}

std::vector<Reply> as_replies(const std::vector<std::string>& answers) {
    std::vector<Reply> replies;
    replies.reserve(answers.size());
    for (const auto& answer : answers) {
        replies.push_back({Reply::Kind::text, answer});
    }
    return replies;
}

}  // namespace

std::string one_line(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

ScriptedConversation::ScriptedConversation(std::vector<Reply> replies)
    : m_replies(std::move(replies)) {}

ScriptedConversation::ScriptedConversation(const std::vector<std::string>& answers)
    : m_replies(as_replies(answers)) {}

ScriptedConversation::ScriptedConversation(std::function<std::string()> typist)
    : m_typist(std::move(typist)) {}

pam_conv ScriptedConversation::conv() noexcept {
    return pam_conv{converse, this};
}

int ScriptedConversation::converse(int count, const pam_message** messages, pam_response** replies,
                                   void* data) noexcept {
    if (count <= 0 || count > PAM_MAX_NUM_MSG || messages == nullptr || replies == nullptr ||
        data == nullptr) {
        return PAM_CONV_ERR;
    }
    try {
        return static_cast<ScriptedConversation*>(data)->answer(count, messages, replies);
    } catch (const std::bad_alloc&) {
        return PAM_BUF_ERR;
    } catch (...) {
        return PAM_CONV_ERR;
    }
}

// Allocates the reply array as libpam expects (calloc'd, each resp
// malloc'd: the module frees them); frees it on every way out but success.
int ScriptedConversation::answer(int count, const pam_message** messages, pam_response** replies) {
    std::unique_ptr<pam_response, ReplyArrayDeleter> out(
        static_cast<pam_response*>(
            std::calloc(static_cast<std::size_t>(count), sizeof(pam_response))),
        ReplyArrayDeleter{count});
    if (out == nullptr) {
        return PAM_BUF_ERR;
    }
    for (int i = 0; i < count; ++i) {
        const pam_message& message = *messages[i];
        if (!m_typist) {
            m_transcript += "prompt " + std::to_string(message.msg_style) + " " +
                            one_line(message.msg != nullptr ? message.msg : "") + "\n";
        }
        if (message.msg_style != PAM_PROMPT_ECHO_OFF && message.msg_style != PAM_PROMPT_ECHO_ON) {
            continue;
        }
        ++m_prompts;
        Reply reply;
        if (m_typist) {
            reply.text = m_typist();
        } else if (m_next < m_replies.size()) {
            reply = m_replies[m_next++];
        } else {
            reply.kind = Reply::Kind::conversation_error;  // the script has run out
        }
        switch (reply.kind) {
            case Reply::Kind::text:
                out.get()[i].resp = copy_reply(reply.text);
                if (out.get()[i].resp == nullptr) {
                    return PAM_BUF_ERR;
                }
                break;
            case Reply::Kind::null_response: break;
            case Reply::Kind::null_reply_array: *replies = nullptr; return PAM_SUCCESS;
            case Reply::Kind::conversation_error: return PAM_CONV_ERR;
        }
    }
    *replies = out.release();
    return PAM_SUCCESS;
}

}  // namespace otpgate::test
