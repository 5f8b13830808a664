#include "otpgate/core/system/credentials.hpp"

#include <array>

#include "otpgate/core/primitives/text.hpp"
#include "otpgate/core/system/safe_file.hpp"

namespace otpgate::core {
namespace {

constexpr std::array<std::string_view, 6> known_keys = {"twilio_auth_token", "http_password",
                                                        "http_bearer_token", "smtp_password",
                                                        "store_password",    "store_key"};

bool is_known_key(std::string_view key) {
    for (const auto known : known_keys) {
        if (known == key) {
            return true;
        }
    }
    return false;
}

Error line_error(const std::string& source, unsigned line, const std::string& problem) {
    return make_error(ErrorKind::invalid_input,
                      "credentials file " + source + ":" + std::to_string(line) + ": " + problem);
}

// "cannot open /x: Permission denied" -> "Permission denied".
std::string reason_after_path(const std::string& message, const std::string& path) {
    const auto marker = message.find(path + ": ");
    return marker == std::string::npos ? message : message.substr(marker + path.size() + 2);
}

}  // namespace

const SecretString* Credentials::find(std::string_view key) const {
    for (const auto& [name, value] : m_values) {
        if (name == key) {
            return &value;
        }
    }
    return nullptr;
}

Result<Credentials> parse_credentials(std::string_view text, const std::string& source) {
    Credentials credentials;
    unsigned line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const auto newline = text.find('\n');
        std::string_view line = trim_blanks(text.substr(0, newline));
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const auto equals = line.find('=');
        if (equals == std::string_view::npos) {
            return line_error(source, line_number, "expected 'key = value'");
        }
        const std::string_view key = trim_blanks(line.substr(0, equals));
        std::string_view value = trim_blanks(line.substr(equals + 1));
        // The key is not echoed: a secret pasted on the wrong side of the
        // '=' must not end up in a log.
        if (!is_known_key(key)) {
            return line_error(source, line_number,
                              "unknown key (expected twilio_auth_token, http_password, "
                              "http_bearer_token, smtp_password, store_password or "
                              "store_key)");
        }
        if (credentials.find(key) != nullptr) {
            return line_error(source, line_number, std::string(key) + " is set twice");
        }
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        if (value.empty()) {
            return line_error(source, line_number, std::string(key) + " is empty");
        }
        for (const char c : value) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7F) {
                return line_error(source, line_number,
                                  std::string(key) + " contains a control character");
            }
        }
        credentials.m_values.emplace_back(std::string(key), SecretString(value));
    }
    return credentials;
}

Result<Credentials> load_credentials(const std::filesystem::path& path) {
    FileRules rules;
    rules.owner = 0;
    rules.also_allow_root_owner = true;
    rules.forbidden_mode_bits = 0027;  // 0600 or 0640 (a group such as otpgate may read)
    rules.max_size = 64 * 1024;
    const auto text = read_checked(path, rules);
    const std::string name = path.string();
    if (!text) {
        const Error& error = text.error();
        switch (error.kind) {
            case ErrorKind::not_found:
                return make_error(ErrorKind::unavailable,
                                  "cannot read credentials file " + name + ": it does not exist");
            case ErrorKind::unsafe:
                return make_error(ErrorKind::unavailable,
                                  "unsafe credentials file: " + error.message);
            default:
                return make_error(ErrorKind::unavailable,
                                  "cannot read credentials file " + name + ": " +
                                      reason_after_path(error.message, name));
        }
    }
    return parse_credentials(text->view(), name);
}

}  // namespace otpgate::core
