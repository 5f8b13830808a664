// What `otpgate store init` and `store check` share: reaching the
// database of store_url (ConnectionSettings reads store_url; its `role`
// connects as the schema's owner instead of the login role).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include "exit_code.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/database/connection_settings.hpp"
#include "otpgate/core/database/libpq_library.hpp"
#include "otpgate/core/database/pg_connection.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/system/credentials.hpp"

namespace otpgate::cli {

// How long a command waits for the database: longer than a login
// (store_timeout_ms), as an administrator is waiting, not sshd.
std::chrono::milliseconds command_timeout(const core::Config& config);

// libpq, or why not, for a command that needs store_url (empty store_url
// is a config error naming the key).
std::variant<const core::LibpqLibrary*, Failure> libpq_for(const core::Config& config);

// The credentials file, for store_password and store_key.
std::variant<core::Credentials, Failure> store_credentials(const core::Config& config);

}  // namespace otpgate::cli
