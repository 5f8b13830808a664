// The login dialogue's Conversation at a terminal (or a pipe): used when
// a code of the current method is asked for outside a login.
#pragma once

#include "otpgate/core/login/login_contract.hpp"
#include "terminal.hpp"

namespace otpgate::cli {

class TerminalConversation final : public core::Conversation {
public:
    explicit TerminalConversation(CodeReader& reader) : m_reader(reader) {}
    std::optional<core::SecretString> ask_hidden(std::string_view prompt) override;
    void show_error(std::string_view message) override;

private:
    CodeReader& m_reader;
};

// A line for the person at the terminal, on stderr like the prompts.
void tell(std::string_view line);

}  // namespace otpgate::cli
