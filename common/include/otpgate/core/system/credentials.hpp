// Provider secrets, kept out of otpgate.conf in a root-only file:
//
//   # /etc/security/otpgate.secrets (root:root, 0600 or 0640)
//   twilio_auth_token = ...
//   http_password = ...
//   http_bearer_token = ...
//   smtp_password = ...
//
// Values live in wiping buffers and never appear in a message or log line,
// not even in parse errors (which name the line, never its text).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {

class Credentials {
public:
    // nullptr when the file does not set `key`.
    [[nodiscard]] const SecretString* find(std::string_view key) const;
    [[nodiscard]] std::size_t size() const noexcept { return m_values.size(); }

private:
    friend Result<Credentials> parse_credentials(std::string_view text, const std::string& source);
    std::vector<std::pair<std::string, SecretString>> m_values;
};

// `key = value` lines; `#` comments and blank lines are skipped; a value may
// be wrapped in double quotes. Unknown or repeated keys are errors.
Result<Credentials> parse_credentials(std::string_view text, const std::string& source);

// Opens without following a symlink, then requires a regular file owned by
// root with no group-write and no other permission bits (0600 or 0640).
// Errors are `unavailable` ("cannot read credentials file X: Permission
// denied", "unsafe credentials file: X is a symbolic link") or
// `invalid_input` for a malformed file.
Result<Credentials> load_credentials(const std::filesystem::path& path);

}  // namespace otpgate::core
