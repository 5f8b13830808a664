// The application side of a PAM dialogue, played from a script: the libpam
// tests (tests/pam), the hostile-input cases (tests/hostile) and the
// benchmark (bench/) all talk to the module through this one pam_conv.
#pragma once

#include <security/pam_appl.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace otpgate::test {

// One answer of the application to a prompt. `text` is handed over byte for
// byte, NULs included (the C interface ends the reply at the first one).
struct Reply {
    enum class Kind {
        text,
        null_response,       // PAM_SUCCESS, but the reply's resp is NULL
        null_reply_array,    // PAM_SUCCESS, but no reply array at all
        conversation_error,  // the conversation function returns PAM_CONV_ERR
    };
    Kind kind = Kind::text;
    std::string text;
};

class ScriptedConversation {
public:
    // Answers the prompts with `replies`, in order; when they run out the
    // conversation fails (PAM_CONV_ERR), so a test sees any unexpected
    // extra prompt. Every message goes into the transcript.
    explicit ScriptedConversation(std::vector<Reply> replies);
    // The same with plain strings, one per prompt.
    explicit ScriptedConversation(const std::vector<std::string>& answers);
    // Answers every prompt with what `typist` returns and keeps no
    // transcript (the benchmark: a code of the moment, nothing to slow it).
    explicit ScriptedConversation(std::function<std::string()> typist);

    // The handle for pam_start; this object must outlive the PAM handle.
    [[nodiscard]] pam_conv conv() noexcept;

    // "prompt STYLE TEXT\n" for every message the module sent, in order
    // (newlines in TEXT as \n); empty for a typist.
    [[nodiscard]] const std::string& transcript() const noexcept { return m_transcript; }
    // How many prompts (echo on or off) the module sent.
    [[nodiscard]] unsigned prompts() const noexcept { return m_prompts; }

private:
    static int converse(int count, const pam_message** messages, pam_response** replies,
                        void* data) noexcept;
    int answer(int count, const pam_message** messages, pam_response** replies);

    std::vector<Reply> m_replies;
    std::size_t m_next = 0;
    std::function<std::string()> m_typist;
    std::string m_transcript;
    unsigned m_prompts = 0;
};

// A message on one line of a transcript (newlines as \n).
std::string one_line(std::string_view text);

}  // namespace otpgate::test
