// otpgate store init [--owner ROLE] [--new-key]: creates or upgrades the
// shared store's schema (postgres_schema.hpp), connecting to store_url as
// the schema's owner, and grants the login role (store_url's user) what
// logins need. The owner's password comes from OTPGATE_STORE_OWNER_PASSWORD
// (scripts) or is asked for without echo; it is never logged or kept.
// --new-key prints a fresh store_key line for otpgate.secrets.
#include <cstdlib>

#include "commands.hpp"
#include "otpgate/core/primitives/sealed_box.hpp"
#include "otpgate/core/storage/postgres_schema.hpp"
#include "output.hpp"
#include "store_connection.hpp"

namespace otpgate::cli {
namespace {

constexpr const char* owner_password_variable = "OTPGATE_STORE_OWNER_PASSWORD";

std::variant<core::SecretString, Failure> owner_password(const CommandContext& context,
                                                         const std::string& owner) {
    if (const char* given = std::getenv(owner_password_variable)) {
        return core::SecretString(given);
    }
    auto typed = context.codes.read_code("Password of the PostgreSQL role " + as_field(owner) +
                                         " (owner of the schema): ");
    if (!typed) {
        return Failure{ExitCode::usage, std::string("no password given for the owner role (type "
                                                    "it, or set ") +
                                            owner_password_variable + ")"};
    }
    return std::move(*typed);
}

std::string versions_text(const core::SchemaUpgrade& upgrade) {
    if (upgrade.applied.empty()) {
        return "already at version " + std::to_string(upgrade.to_version) + "; nothing to do";
    }
    std::string names;
    for (const std::string& name : upgrade.applied) {
        names += (names.empty() ? "" : ", ") + name;
    }
    if (upgrade.from_version == 0) {
        return "created schema version " + std::to_string(upgrade.to_version) + " (" + names + ")";
    }
    return "upgraded the schema from version " + std::to_string(upgrade.from_version) + " to " +
           std::to_string(upgrade.to_version) + " (" + names + ")";
}

}  // namespace

ExitCode init_store(const CommandContext& context, const StoreInitOptions& options) {
    if (!context.may_use_state) {
        return report({ExitCode::not_permitted, "only root can initialise the shared store"});
    }
    if (options.new_key) {
        const core::SecretString key = core::new_sealing_key_hex(context.random);
        print("store_key = " + std::string(key.view()) + "\n");
        if (!options.owner) {
            print("Put this line in " +
                  as_field(context.config.delivery.credentials_file.string()) +
                  " on every host of the fleet (the same key everywhere), before the first "
                  "enrollment.\n");
            return ExitCode::ok;
        }
    }
    if (!options.owner || options.owner->empty()) {
        return report({ExitCode::usage,
                       "store init: --owner ROLE is required: the PostgreSQL role that owns the "
                       "schema (store_url names the login role, which must not own it)"});
    }
    auto libpq = libpq_for(context.config);
    if (auto* failure = std::get_if<Failure>(&libpq)) {
        return report(*failure);
    }
    const core::LibpqLibrary& library = *std::get<const core::LibpqLibrary*>(libpq);
    auto login_settings =
        core::ConnectionSettings::make(library, {.url = context.config.database.url});
    if (!login_settings) {
        return report({ExitCode::config, login_settings.error().message});
    }
    const std::optional<std::string> login_role = login_settings->given_in_url("user");
    if (!login_role) {
        return report(
            {ExitCode::config, "store_url names no user: it must name the login role (user=...)"});
    }
    auto password = owner_password(context, *options.owner);
    if (auto* failure = std::get_if<Failure>(&password)) {
        return report(*failure);
    }
    const core::SecretString& owner_secret = std::get<core::SecretString>(password);
    auto settings = core::ConnectionSettings::make(
        library, {.url = context.config.database.url,
                  .password = &owner_secret,
                  .application_name = "otpgate store init",
                  .statement_timeout = command_timeout(context.config),
                  .role = *options.owner});
    if (!settings) {
        return report({ExitCode::config, settings.error().message});
    }
    if (settings->weak_tls()) {
        print_warning(*settings->weak_tls());
    }
    const core::Deadline deadline =
        std::chrono::steady_clock::now() + command_timeout(context.config);
    auto connection = core::PgConnection::open(library, *settings, deadline);
    if (!connection) {
        const std::string text = "store init: " + connection.error().message;
        context.logger.error(text);
        return report({ExitCode::storage, ""});
    }
    auto upgrade = core::upgrade_schema(*connection, *login_role, deadline);
    const std::string where = as_field(settings->description());
    if (!upgrade) {
        context.logger.error("store init as " + as_field(*options.owner) + " on " + where +
                             ": nothing was changed: " + upgrade.error().message);
        return report({ExitCode::storage, ""});
    }
    const std::string done = versions_text(*upgrade) + "; login role " + as_field(*login_role) +
                             " granted what logins need";
    print(done + "\n");
    context.logger.notice("store init by root as " + as_field(*options.owner) + " on " + where +
                          ": " + done);
    return ExitCode::ok;
}

}  // namespace otpgate::cli
