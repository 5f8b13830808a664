#include "terminal_conversation.hpp"

#include <cstdio>

#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::cli {

std::optional<core::SecretString> TerminalConversation::ask_hidden(std::string_view prompt) {
    return m_reader.read_code(prompt);
}

void TerminalConversation::show_error(std::string_view message) {
    tell(message);
}

void tell(std::string_view line) {
    core::write_line(stderr, "", line);
    std::fflush(stderr);
}

}  // namespace otpgate::cli
