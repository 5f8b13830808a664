// otpgate: the command that enrolls users in otpgate's second factor.
// Parses the command line with CLI11, prepares the context, runs one
// command, and turns anything thrown into exit code 70.
#include <cstdio>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command_context.hpp"
#include "commands.hpp"
#include "exit_code.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "otpgate/core/system/safe_text.hpp"
#include "otpgate/core/system/syslog_logger.hpp"
#include "output.hpp"

namespace otpgate::cli {
namespace {

struct ParsedCommandLine {
    std::string config_path;
    std::string user;
    std::string issuer;
    std::string qr = "auto";
    std::string destination;
    bool verified = false;
    bool json = false;
    std::string import_file;
    bool force = false;
    std::string store_to;
    bool all = false;
    bool dry_run = false;
    std::string owner;
    bool new_key = false;
    std::string store_from;
    std::string log_user;
    std::string host;
    std::string since;
    std::size_t limit = 1000;
};

// Only the command that was chosen matters; CLI11 records which.
struct Subcommands {
    CLI::App* enroll_totp = nullptr;
    CLI::App* enroll_sms = nullptr;
    CLI::App* enroll_email = nullptr;
    CLI::App* status = nullptr;
    CLI::App* disable = nullptr;
    CLI::App* backup_codes = nullptr;
    CLI::App* list = nullptr;
    CLI::App* unlock = nullptr;
    CLI::App* forget_hosts = nullptr;
    CLI::App* import_google_authenticator = nullptr;
    CLI::App* store_migrate = nullptr;
    CLI::App* store_init = nullptr;
    CLI::App* store_check = nullptr;
    CLI::App* store_import = nullptr;
    CLI::App* log = nullptr;
    const CLI::Option* owner_option = nullptr;
    const CLI::Option* log_user_option = nullptr;
    const CLI::Option* host_option = nullptr;
    const CLI::Option* since_option = nullptr;
    // To tell "not given" from "given empty".
    std::vector<const CLI::Option*> user_options;
    const CLI::Option* config_option = nullptr;
    const CLI::Option* issuer_option = nullptr;
    const CLI::Option* import_file_option = nullptr;

    [[nodiscard]] bool user_given() const {
        for (const CLI::Option* option : user_options) {
            if (option->count() > 0) {
                return true;
            }
        }
        return false;
    }
};

void add_user_option(CLI::App& command, ParsedCommandLine& parsed, Subcommands& commands) {
    commands.user_options.push_back(
        command
            .add_option("--user", parsed.user, "Act for this user (root only, unless it is you)")
            ->type_name("NAME"));
}

// store init, check and import, and log: the shared store (store = postgresql).
void define_shared_store_commands(CLI::App& store, CLI::App& app, ParsedCommandLine& parsed,
                                  Subcommands& commands) {
    commands.store_init = store.add_subcommand(
        "init",
        "Create or upgrade the shared store's schema in PostgreSQL as its owner role, and grant "
        "store_url's role what logins need (owner password: typed, or "
        "OTPGATE_STORE_OWNER_PASSWORD)");
    commands.owner_option =
        commands.store_init
            ->add_option("--owner", parsed.owner, "The PostgreSQL role that owns the schema")
            ->type_name("ROLE");
    commands.store_init->add_flag(
        "--new-key", parsed.new_key,
        "Print a fresh store_key line for otpgate.secrets (only that, without --owner)");
    commands.store_check = store.add_subcommand(
        "check",
        "Check the shared store: connection, TLS, server, schema version, the login role's "
        "rights, store_key, round-trip time");
    commands.store_import = store.add_subcommand(
        "import",
        "Copy this host's enrollments and login state into the shared store; conflicts are "
        "reported, never overwritten; safe to run again (--user or --all required)");
    commands.store_import->add_option("--from", parsed.store_from, "From: files or local")
        ->required()
        ->check(CLI::IsMember(std::vector<std::string>{"local", "files"}))
        ->type_name("STORE");
    add_user_option(*commands.store_import, parsed, commands);
    commands.store_import->add_flag("--all", parsed.all, "Every user enrolled on this host");
    commands.store_import->add_flag("--dry-run", parsed.dry_run,
                                    "Say what would be done for each user, change nothing");

    commands.log = app.add_subcommand(
        "log", "Root only: the shared store's audit log (store = postgresql), oldest first");
    // Not the target user: the name may have no account on this host.
    commands.log_user_option =
        commands.log->add_option("--user", parsed.log_user, "Only this user's events")
            ->type_name("NAME");
    commands.host_option =
        commands.log->add_option("--host", parsed.host, "Only this host's events")
            ->type_name("NAME");
    commands.since_option =
        commands.log
            ->add_option("--since", parsed.since,
                         "From this UTC time (2026-12-06, 2026-12-06T14:00:00Z) or age (30m, "
                         "12h, 2d, 1w)")
            ->type_name("TIME");
    commands.log->add_option("--limit", parsed.limit, "At most this many, the newest")
        ->type_name("N")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
}

Subcommands define_command_line(CLI::App& app, ParsedCommandLine& parsed) {
    app.footer(std::string(exit_code_table()));
    app.set_version_flag("--version", "otpgate " OTPGATE_VERSION);
    app.require_subcommand(1);
    // Subcommands inherit this: `otpgate status --config FILE` works too.
    app.fallthrough();
    Subcommands commands;
    commands.config_option =
        app.add_option("--config", parsed.config_path,
                       "Configuration file (default " + std::string(core::default_config_path) +
                           ", which may be missing; a file named here must exist)")
            ->type_name("PATH");
    CLI::App* enroll = app.add_subcommand("enroll", "Enroll in a second factor");
    enroll->require_subcommand(1);
    commands.enroll_totp = enroll->add_subcommand(
        "totp",
        "Set up an authenticator app: show a QR code and the secret, confirm a code, "
        "print backup codes. Replaces an earlier enrollment once the code is confirmed");
    add_user_option(*commands.enroll_totp, parsed, commands);
    commands.issuer_option =
        commands.enroll_totp
            ->add_option("--issuer", parsed.issuer,
                         "Name shown in the app (default: issuer from the config, else the host "
                         "name)")
            ->type_name("TEXT");
    commands.enroll_totp
        ->add_option("--qr", parsed.qr,
                     "QR code style: auto (ansi at a terminal, else utf8), ansi (black on white, "
                     "any theme), utf8 (for light terminals), utf8i (for dark terminals), ascii, "
                     "none")
        ->check(CLI::IsMember(qr_style_names()))
        ->type_name("STYLE")
        ->capture_default_str();

    commands.enroll_sms = enroll->add_subcommand(
        "sms", "Receive codes by SMS: send a code to the number, confirm it, then use it at login");
    commands.enroll_sms
        ->add_option("NUMBER", parsed.destination,
                     "Phone number, international (+61 491 570 156) or national "
                     "in phone_default_region")
        ->required();
    commands.enroll_email = enroll->add_subcommand(
        "email",
        "Receive codes by email: send a code to the address, confirm it, then use it "
        "at login");
    commands.enroll_email->add_option("ADDRESS", parsed.destination, "Email address")->required();
    for (CLI::App* command : {commands.enroll_sms, commands.enroll_email}) {
        add_user_option(*command, parsed, commands);
        command->add_flag("--verified", parsed.verified,
                          "Root only: record the destination as verified without sending a "
                          "code (provisioning from a directory); logged");
    }

    commands.status = app.add_subcommand("status", "Show what a user has enrolled");
    add_user_option(*commands.status, parsed, commands);
    commands.disable = app.add_subcommand(
        "disable", "Remove an enrollment (asks for a current code unless root names the user)");
    add_user_option(*commands.disable, parsed, commands);
    commands.backup_codes = app.add_subcommand(
        "backup-codes",
        "Replace the backup codes with a new set (asks for a current code unless root names "
        "the user)");
    add_user_option(*commands.backup_codes, parsed, commands);
    commands.list = app.add_subcommand(
        "list",
        "Root only: every enrolled user with method, masked destination, last success "
        "and lockout");
    commands.list->add_flag("--json", parsed.json, "Print JSON for scripts");
    commands.unlock = app.add_subcommand(
        "unlock", "Root only: lift a user's lockout after repeated wrong codes (--user required)");
    add_user_option(*commands.unlock, parsed, commands);
    commands.forget_hosts = app.add_subcommand(
        "forget-hosts",
        "Root only: make every host a user passed from ask for a code again (remember_host; "
        "--user required)");
    add_user_option(*commands.forget_hosts, parsed, commands);

    CLI::App* import = app.add_subcommand("import",
                                          "Bring in a second factor set up with "
                                          "another tool");
    import->require_subcommand(1);
    commands.import_google_authenticator = import->add_subcommand(
        "google-authenticator",
        "Import a google-authenticator file (pam_google_authenticator): the same secret, so the "
        "app keeps working, scratch codes as backup codes; reports what is not carried over. "
        "Leaves the file as it was");
    add_user_option(*commands.import_google_authenticator, parsed, commands);
    commands.import_file_option = commands.import_google_authenticator->add_option(
        "FILE", parsed.import_file,
        "The file to import (default: the user's ~/.google_authenticator)");
    commands.import_google_authenticator->add_flag(
        "--force", parsed.force,
        "Replace an existing otpgate enrollment (a user is asked for a current code first)");

    CLI::App* store = app.add_subcommand(
        "store",
        "Root only: where enrollments are kept (store = files | local | postgresql in the "
        "config)");
    store->require_subcommand(1);
    commands.store_migrate = store->add_subcommand(
        "migrate",
        "Move enrollments to the users' files or to root's store, keeping spent codes, verified "
        "destinations and lockouts; safe to stop and to run again (--user or --all required)");
    commands.store_migrate->add_option("--to", parsed.store_to, "Where to: local or files")
        ->required()
        ->check(CLI::IsMember(std::vector<std::string>{"local", "files"}))
        ->type_name("STORE");
    add_user_option(*commands.store_migrate, parsed, commands);
    commands.store_migrate->add_flag("--all", parsed.all, "Every user with an enrollment");
    commands.store_migrate->add_flag("--dry-run", parsed.dry_run,
                                     "Say what would be done for each user, change nothing");
    define_shared_store_commands(*store, app, parsed, commands);
    return commands;
}

ExitCode run_shared_store_command(const CommandContext& context, const Subcommands& commands,
                                  const ParsedCommandLine& parsed) {
    if (commands.store_init->parsed()) {
        StoreInitOptions options;
        if (commands.owner_option->count() > 0) {
            options.owner = parsed.owner;
        }
        options.new_key = parsed.new_key;
        return init_store(context, options);
    }
    if (commands.store_check->parsed()) {
        return check_store(context);
    }
    if (commands.store_import->parsed()) {
        if (commands.user_given() == parsed.all) {
            return report({ExitCode::usage,
                           "store import: give either --user NAME or --all (see otpgate --help)"});
        }
        StoreImportOptions options;
        options.from =
            parsed.store_from == "local" ? core::StoreKind::local : core::StoreKind::files;
        options.all = parsed.all;
        options.dry_run = parsed.dry_run;
        return import_into_store(context, options);
    }
    if (commands.log->parsed()) {
        LogOptions options;
        if (commands.log_user_option->count() > 0) {
            options.user = parsed.log_user;
        }
        if (commands.host_option->count() > 0) {
            options.host = parsed.host;
        }
        if (commands.since_option->count() > 0) {
            options.since = parsed.since;
        }
        options.limit = parsed.limit;
        return show_log(context, options);
    }
    return report({ExitCode::usage, "no command given (see otpgate --help)"});
}

ExitCode run_chosen(const CommandContext& context, const Subcommands& commands,
                    const ParsedCommandLine& parsed) {
    if (commands.enroll_totp->parsed()) {
        EnrollOptions options;
        if (commands.issuer_option->count() > 0) {
            options.issuer = parsed.issuer;
        }
        options.qr = parse_qr_style(parsed.qr).value_or(QrStyle::automatic);
        return enroll_totp(context, options);
    }
    if (commands.enroll_sms->parsed() || commands.enroll_email->parsed()) {
        if (parsed.verified && !context.may_use_state) {
            return report({ExitCode::not_permitted, "only root may use --verified"});
        }
        const auto channel =
            commands.enroll_sms->parsed() ? core::Channel::sms : core::Channel::email;
        return enroll_delivered(context, channel, parsed.destination, parsed.verified);
    }
    if (commands.status->parsed()) {
        return show_status(context);
    }
    if (commands.disable->parsed()) {
        return disable_enrollment(context);
    }
    if (commands.backup_codes->parsed()) {
        return renew_backup_codes(context);
    }
    if (commands.list->parsed()) {
        return list_users(context, parsed.json);
    }
    if (commands.unlock->parsed()) {
        if (!commands.user_given()) {
            return report(
                {ExitCode::usage, "unlock: --user NAME is required (see otpgate --help)"});
        }
        return unlock_user(context);
    }
    if (commands.forget_hosts->parsed()) {
        if (!commands.user_given()) {
            return report(
                {ExitCode::usage, "forget-hosts: --user NAME is required (see otpgate --help)"});
        }
        return forget_remembered_hosts(context);
    }
    if (commands.import_google_authenticator->parsed()) {
        ImportOptions options;
        if (commands.import_file_option->count() > 0) {
            options.file = parsed.import_file;
        }
        options.force = parsed.force;
        return import_google_authenticator(context, options);
    }
    if (commands.store_migrate->parsed()) {
        if (commands.user_given() == parsed.all) {
            return report({ExitCode::usage,
                           "store migrate: give either --user NAME or --all (see otpgate --help)"});
        }
        StoreMigrateOptions options;
        options.to = parsed.store_to == "files" ? core::StoreKind::files : core::StoreKind::local;
        options.all = parsed.all;
        options.dry_run = parsed.dry_run;
        return migrate_store(context, options);
    }
    return run_shared_store_command(context, commands, parsed);
}

ExitCode run(int argc, char** argv) {
    CLI::App app{
        "otpgate: second factor for logins (pam_otpgate.so): TOTP apps, SMS and email codes; "
        "enroll and manage users",
        "otpgate"};
    ParsedCommandLine parsed;
    const Subcommands commands = define_command_line(app, parsed);
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& done) {
        return static_cast<ExitCode>(app.exit(done));  // --help, --version: printed on stdout
    } catch (const CLI::ParseError& error) {
        return report({ExitCode::usage, std::string(error.what()) + " (see otpgate --help)"});
    }

    // Changes and refusals also reach the auth log, where administrators look.
    core::StderrAndSyslogLogger logger("otpgate", "otpgate");
    const std::optional<std::string> config_path =
        commands.config_option->count() > 0 ? std::optional<std::string>(parsed.config_path)
                                            : std::nullopt;
    auto config = load_configuration(config_path, logger);
    if (const auto* failure = std::get_if<Failure>(&config)) {
        return report(*failure);
    }
    const std::optional<std::string> user =
        commands.user_given() ? std::optional<std::string>(parsed.user) : std::nullopt;
    auto target = resolve_target_user(user);
    if (const auto* failure = std::get_if<Failure>(&target)) {
        return report(*failure);
    }

    auto storage = core::open_storage(std::get<core::Config>(config), logger);
    if (!storage) {
        return report(storage_failure(storage.error(), "the storage"));
    }

    const core::SystemClock clock;
    core::OpenSslRandom random;
    CodeReader codes;
    CommandContext context{std::move(std::get<core::Config>(config)),
                           std::move(std::get<TargetUser>(target)),
                           invoked_by_root(),
                           clock,
                           random,
                           codes,
                           logger,
                           **storage};
    // Only commands that change a second factor announce it; the shared
    // store's commands need no login state (and no connection for it).
    const bool shared_store_command = commands.store_init->parsed() ||
                                      commands.store_check->parsed() ||
                                      commands.store_import->parsed() || commands.log->parsed();
    if (!shared_store_command) {
        context.verified_at_start = verified_fingerprint(context);
    }
    const ExitCode code = run_chosen(context, commands, parsed);
    if (!stdout_healthy()) {
        return report({ExitCode::storage, "cannot write to standard output"});
    }
    return code;
}

}  // namespace
}  // namespace otpgate::cli

int main(int argc, char** argv) {
    // Nothing escapes: bugs and resource failures become exit code 70 with
    // one line on stderr, never a crash or a half-understood success.
    try {
        return static_cast<int>(otpgate::cli::run(argc, argv));
    } catch (const std::bad_alloc&) {
        std::fputs("otpgate: error: out of memory\n", stderr);
    } catch (const std::exception& error) {
        otpgate::core::write_line(stderr, "otpgate: error: internal error: ", error.what());
    } catch (...) {
        std::fputs("otpgate: error: internal error of unknown kind\n", stderr);
    }
    return static_cast<int>(otpgate::cli::ExitCode::internal);
}
