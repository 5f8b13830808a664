#include "otpgate/core/login/login_dialogue.hpp"

#include "otpgate/core/login/code_check.hpp"

namespace otpgate::core {
namespace {

// Longer answers are refused before anything is checked.
constexpr std::size_t max_typed_length = 64;

}  // namespace

std::optional<SecretString> normalize_typed_code(std::string_view typed) {
    if (typed.size() > max_typed_length) {
        return std::nullopt;
    }
    SecretString digits;
    for (const char c : typed) {
        if (c >= '0' && c <= '9') {
            digits.push_back(c);
        } else if (c != ' ' && c != '-' && c != '.' && c != '\t') {
            return std::nullopt;
        }
    }
    if (digits.empty()) {
        return std::nullopt;
    }
    return digits;
}

std::string wrong_code_note(const Config& config, bool last_try, bool expired) {
    std::string note = expired ? "That code has expired. " : "Wrong code. ";
    // sshd shows prompts, not a message sent after the last one: the help
    // line goes into the prompt of the last try.
    if (last_try && !config.help_text.empty()) {
        note += "Last try. " + config.help_text + " ";
    }
    return note;
}

}  // namespace otpgate::core
