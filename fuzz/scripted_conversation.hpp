// The application's side of the PAM conversation in the login target
// (fuzz_login.cpp): each prompt is answered by the next scripted reply
// (login_case.hpp), typed as a person or a broken application would. A
// right code is computed for the moment the module asks, a sent code read
// from the outbox it was written to.
#pragma once

#include <security/pam_appl.h>

#include <string>
#include <vector>

#include "login_case.hpp"
#include "login_sandbox.hpp"
#include "login_world.hpp"

namespace otpgate::fuzz {

class ScriptedConversation {
public:
    ScriptedConversation(std::vector<Reply> replies, const LoginWorld& world,
                         const LoginSandbox& sandbox);
    ScriptedConversation(const ScriptedConversation&) = delete;
    ScriptedConversation& operator=(const ScriptedConversation&) = delete;

    // For PAM_CONV; valid while this object lives.
    [[nodiscard]] pam_conv handle() { return {&converse, this}; }

    // The texts the module received at prompts, in order.
    [[nodiscard]] const std::vector<std::string>& typed() const { return m_typed; }

private:
    static int converse(int count, const pam_message** messages, pam_response** replies,
                        void* self);
    int answer(int count, const pam_message** messages, pam_response** replies);
    std::string text_of(const Reply& reply) const;

    std::vector<Reply> m_replies;
    std::size_t m_next = 0;
    const LoginWorld& m_world;
    const LoginSandbox& m_sandbox;
    std::vector<std::string> m_typed;
};

// Every code written to the SMS and email outboxes, oldest first.
std::vector<std::string> codes_in_outboxes(const LoginSandbox& sandbox);

}  // namespace otpgate::fuzz
