// The otpgate subcommands. Each returns the process exit code after
// printing what it did, or one error line on stderr.
#pragma once

#include <cstddef>
#include <cstdint>
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

// otpgate store init (root only): creates or upgrades the shared store's
// schema as `owner`; --new-key prints a fresh store_key (and only that,
// without --owner).
struct StoreInitOptions {
    std::optional<std::string> owner;
    bool new_key = false;
};

ExitCode init_store(const CommandContext& context, const StoreInitOptions& options);
// otpgate store check (root only).
ExitCode check_store(const CommandContext& context);

// otpgate store import (root only): this host's enrollments and login
// state into the shared store.
struct StoreImportOptions {
    core::StoreKind from = core::StoreKind::files;
    bool all = false;
    bool dry_run = false;
};

ExitCode import_into_store(const CommandContext& context, const StoreImportOptions& options);

// otpgate log (root only): the shared store's audit log.
struct LogOptions {
    std::optional<std::string> user;
    std::optional<std::string> host;
    std::optional<std::string> since;
    std::size_t limit = 1000;
};

ExitCode show_log(const CommandContext& context, const LogOptions& options);
// --since: a UTC date and time, or an age ("2d"); nullopt when neither.
std::optional<std::int64_t> parse_log_since(const std::string& text, std::int64_t now);

}  // namespace otpgate::cli
