// Reading codes: hidden typing at a terminal, plain lines from a pipe
// (provisioning scripts). Prompts go to stderr so stdout stays clean for
// whatever a script wants to capture.
#pragma once

#include <optional>
#include <string_view>

#include <unistd.h>

#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::cli {

class CodeReader {
public:
    explicit CodeReader(int fd = STDIN_FILENO);

    // Whether codes come from a person at a terminal.
    [[nodiscard]] bool interactive() const noexcept { return m_interactive; }

    // Shows the prompt and reads one line. nullopt at end of input (Ctrl-D,
    // or a closed pipe with nothing left in it).
    [[nodiscard]] std::optional<core::SecretString> read_code(std::string_view prompt);

private:
    [[nodiscard]] std::optional<core::SecretString> read_line();

    int m_fd;
    bool m_interactive;
};

// Whether the descriptor is a terminal.
bool is_terminal(int fd);

}  // namespace otpgate::cli
