// otpgate.conf and module arguments: one option setter for both.
// Order of precedence: built-in defaults < config file < module arguments.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/delivery/delivery_config.hpp"
#include "otpgate/core/policy/policy_config.hpp"
#include "otpgate/core/primitives/otp.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/system/file_lock.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

// PBKDF2 rounds of a backup code hash unless the config says otherwise.
inline constexpr unsigned default_backup_iterations = 20000;

// Where enrollments are kept (`store`): `files` in a file of each user's
// (enrollment_path), `local` in root's state directory, where the user can
// read none of it and changes it only through the set-uid helper;
// `postgresql` in a database shared by many hosts, with the login state.
enum class StoreKind { files, local, postgresql };

// `store = postgresql`: where the database is and how long a login waits
// for it. Its password and the key that encrypts secrets at rest are in
// the credentials file (store_password, store_key), never here.
struct DatabaseStoreConfig {
    // A libpq connection string or URI (several hosts allowed); TLS with
    // the server's certificate verified unless it says otherwise.
    std::string url;
    // Each connect and each statement of a login gives up after this long.
    std::chrono::milliseconds timeout{2000};
    // How this host is named in the database (audit log, SMS counts); empty:
    // the system's host name.
    std::string host_name;
    // When the database cannot be reached: deny fails closed; cache lets
    // users who logged in here within cache_ttl in against this host's
    // encrypted copy of their enrollment (store_offline).
    enum class Offline { deny, cache } offline = Offline::deny;
    unsigned cache_ttl = 7 * 24 * 3600;  // seconds
    // SMS sent by all hosts together in an hour; 0: no fleet-wide cap.
    unsigned fleet_max_sms_per_hour = 0;
};

std::string_view to_string(StoreKind kind);

struct Config {
    StoreKind store = StoreKind::files;
    DatabaseStoreConfig database;  // store = postgresql
    // Where each user's enrollment lives in the `files` store; %u is the user name, %h the home
    // directory, %% a percent sign. Read and written with the user's rights.
    std::string enrollment_path = "%h/.otpgate";
    // Root-owned directory holding what the module changes at every login.
    std::filesystem::path state_dir = OTPGATE_DEFAULT_STATE_DIR;
    // The set-uid helper through which `otpgate`, run by an ordinary user,
    // proves a code and verifies a destination (see verify_helper/). Empty:
    // none is installed.
    std::string verify_helper = OTPGATE_VERIFY_HELPER;
    // The longest any login, helper run or command waits for a lock another
    // process holds (file_lock.hpp); past it, it fails closed.
    std::chrono::milliseconds lock_timeout = default_lock_timeout;

    std::string issuer;        // empty: the host name
    TotpParameters totp;       // for new enrollments
    unsigned totp_window = 1;  // steps accepted before and after now
    unsigned secret_bits = 160;

    unsigned backup_code_count = 10;
    unsigned backup_code_digits = 10;
    // PBKDF2 rounds of backup code hashes: what every typed code of a backup
    // code's length costs, for every user. Set here only, never by the
    // enrollment file (which a user can write); files hashed at another
    // count have their backup codes refused until they are made anew.
    unsigned backup_code_iterations = default_backup_iterations;

    unsigned max_attempts = 3;
    unsigned fail_delay_ms = 2000;
    std::string prompt = "Verification code: ";

    bool nullok = false;
    bool debug = false;

    // Codes sent by SMS or email at login.
    unsigned code_digits = 6;
    unsigned sms_code_lifetime = 300;    // seconds
    unsigned email_code_lifetime = 900;  // seconds
    unsigned max_resends = 3;            // per login
    unsigned send_cooldown = 30;         // seconds between sends to one user
    unsigned max_sends_per_hour = 10;    // per user, across logins
    // What happens when a code cannot be delivered: secure denies (backup
    // codes still work), safe lets the user in with a loud log warning.
    enum class FailMode { secure, safe } failmode = FailMode::secure;
    // Not a key: proof_config (login_session.hpp) sets it. The codes such a
    // run sends confirm a change to the second factor, and say so, instead
    // of carrying the login text.
    bool proves_change = false;
    std::string help_text;  // shown when delivery fails or attempts run out
    // Country calling codes SMS may go to ("44", "1"); empty allows none.
    std::vector<std::string> sms_allowed_countries;
    // ISO 3166 region for phone numbers typed in national format ("GB");
    // used by `otpgate enroll sms` only.
    std::string phone_default_region;

    // Email the user when their second factor is enabled, changed or
    // disabled: to their enrolled address, else to user@notify_domain.
    bool notify_changes = true;
    std::string notify_domain;  // "example.com"; empty: enrolled addresses only

    DeliveryConfig delivery;
    PolicyConfig policy;
};

inline constexpr std::string_view default_config_path = OTPGATE_DEFAULT_CONFIG;

// Where a setting came from, for error messages ("otpgate.conf:12").
struct SettingOrigin {
    std::string source;  // file path, or "module argument"
    unsigned line = 0;   // 0 for module arguments
    [[nodiscard]] std::string describe() const;
};

// Applies one `key = value` to the config. Unknown keys and bad values are
// reported through the logger with their origin; returns false for a bad
// value so callers can fail closed.
bool apply_setting(Config& config, std::string_view key, std::string_view value,
                   const SettingOrigin& origin, Logger& logger);

// Parses config text. Unknown keys are warnings; bad values and syntax
// errors are errors (returned false after everything was reported).
//
// Lines after a `[service NAME...]` header apply only when the PAM service
// is one of the names (they override the lines before the first header);
// they are checked whatever the service, so that a mistake shows at once.
// `service` is empty for the otpgate command, which reads no section.
bool parse_config_text(Config& config, std::string_view text, const std::string& source_name,
                       Logger& logger, std::string_view service = {});

enum class ConfigRequirement {
    optional,  // the default path: a missing file means built-in defaults
    required,  // named explicitly (config= or --config): it must exist
};

// Reads a config file defensively: no symlinks, a regular file owned by
// root or by the caller, not writable by group or others, at most 64 KiB.
Result<void> load_config_file(Config& config, const std::filesystem::path& path,
                              ConfigRequirement requirement, Logger& logger,
                              std::string_view service = {});

// Module arguments: `debug`, `nullok`, `config=PATH`, any `key=value`.
struct ModuleArguments {
    std::optional<std::filesystem::path> config_path;
    std::vector<std::pair<std::string, std::string>> settings;
};

ModuleArguments split_module_arguments(const std::vector<std::string_view>& argv);

// Loads the file named by the arguments (or the default), then applies the
// arguments on top. False when anything was invalid: the caller fails closed.
// `service` is PAM_SERVICE, which selects the file's [service] sections.
bool load_module_config(Config& config, const ModuleArguments& arguments, Logger& logger,
                        std::string_view service = {});

// Every key the parser accepts, for documentation checks.
std::vector<std::string_view> known_config_keys();

}  // namespace otpgate::core
