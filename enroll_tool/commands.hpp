// The otpgate subcommands. Each returns the process exit code after
// printing what it did, or one error line on stderr.
#pragma once

#include <optional>
#include <string>

#include "command_context.hpp"
#include "exit_code.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "qr_render.hpp"

namespace otpgate::cli {

struct EnrollOptions {
    std::optional<std::string> issuer;  // overrides the config and the host name
    QrStyle qr = QrStyle::automatic;
};

ExitCode enroll_totp(const CommandContext& context, const EnrollOptions& options);
// `already_verified`: root provisions a destination without sending a code.
ExitCode enroll_delivered(const CommandContext& context, core::Channel channel,
                          const std::string& typed_destination, bool already_verified);
ExitCode show_status(const CommandContext& context);
ExitCode disable_enrollment(const CommandContext& context);
ExitCode renew_backup_codes(const CommandContext& context);
// Root only.
ExitCode list_users(const CommandContext& context, bool json);
ExitCode unlock_user(const CommandContext& context);
ExitCode forget_remembered_hosts(const CommandContext& context);

struct ImportOptions {
    std::optional<std::string> file;  // default: the user's ~/.google_authenticator
    bool force = false;               // replace an existing otpgate enrollment
};

ExitCode import_google_authenticator(const CommandContext& context, const ImportOptions& options);

// otpgate store migrate (root only).
struct StoreMigrateOptions {
    core::StoreKind to = core::StoreKind::local;
    bool all = false;      // every account; else the target user
    bool dry_run = false;  // say what would be done, change nothing
};

ExitCode migrate_store(const CommandContext& context, const StoreMigrateOptions& options);

}  // namespace otpgate::cli
