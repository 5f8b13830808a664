// Finding and reading the ~/.google_authenticator file to import, with the
// target user's own file-system rights, never through a symlink.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <variant>

#include "command_context.hpp"
#include "exit_code.hpp"
#include "otpgate/core/enrollment/google_authenticator_file.hpp"

namespace otpgate::cli {

// The file named on the command line, else the target user's
// ~/.google_authenticator.
std::variant<std::filesystem::path, Failure> google_authenticator_path(
    const CommandContext& context, const std::optional<std::string>& named);

// Reads and parses it. Exit codes: not_enrolled when it does not exist,
// not_permitted when refused (a symlink, not the user's, open to group or
// others), storage when it cannot be read or parsed.
std::variant<core::GoogleAuthenticatorFile, Failure> read_google_authenticator_file(
    const CommandContext& context, const std::filesystem::path& path);

}  // namespace otpgate::cli
