#include "otpgate/core/login/login_session.hpp"

#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/login/delivered_code_login.hpp"
#include "otpgate/core/login/recorded_check.hpp"
#include "otpgate/core/policy/login_policy.hpp"
#include "otpgate/core/storage/open_storage.hpp"
#include "otpgate/core/system/host_name.hpp"
#include "otpgate/core/system/safe_text.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {
namespace {

// What we know about the user before asking. Unenrolled, unknown, refused
// and locked users are asked just like enrolled ones, so that the dialogue
// does not reveal which is which.
struct Standing {
    enum class Kind { enrolled, not_enrolled, refused, locked } kind = Kind::refused;
    std::optional<Enrollment> enrollment;
    std::optional<UserAccount> account;  // for the group policy
};

// The count in the file is the user's to write; checks derive at the
// host's only, so codes hashed at another one can never match.
void warn_if_backup_codes_refused(const std::string& user_name, const BackupCodeHashes& backup,
                                  const Config& config, Logger& logger) {
    if (backup.hashes_hex.empty() || backup.iterations == config.backup_code_iterations) {
        return;
    }
    logger.warning("backup codes of user " + user_name + " were hashed with " +
                   std::to_string(backup.iterations) +
                   " PBKDF2 iterations, not this host's backup_code_iterations (" +
                   std::to_string(config.backup_code_iterations) +
                   "): they are refused until new ones are made with `otpgate backup-codes "
                   "--user " +
                   user_name + "`; other codes still work");
}

Standing find_standing(const std::string& user_name, const Config& config, Storage& storage,
                       Logger& logger) {
    auto account = lookup_user(user_name);
    if (!account) {
        if (account.error().kind == ErrorKind::not_found) {
            logger.debug("user " + user_name + " does not exist; treated as not enrolled");
            return {Standing::Kind::not_enrolled, std::nullopt, std::nullopt};
        }
        logger.error(account.error().message);
        return {Standing::Kind::refused, std::nullopt, std::nullopt};
    }
    auto enrollment = storage.load_enrollment(*account);
    if (enrollment) {
        warn_if_backup_codes_refused(user_name, enrollment->backup, config, logger);
        return {Standing::Kind::enrolled, std::move(enrollment.value()),
                std::move(account.value())};
    }
    if (enrollment.error().kind == ErrorKind::not_found) {
        logger.debug("user " + user_name + " is not enrolled");
        return {Standing::Kind::not_enrolled, std::nullopt, std::move(account.value())};
    }
    logger.error("refusing enrollment of user " + user_name + ": " + enrollment.error().message);
    return {Standing::Kind::refused, std::nullopt, std::nullopt};
}

// User names come from the client, and a refused one can be of any length:
// the logger makes every line safe, this keeps the name short as well.
std::string printable_name(std::string_view name) {
    return one_line(name, 64);
}

}  // namespace

Config proof_config(Config config) {
    config.failmode = Config::FailMode::secure;
    config.nullok = false;
    config.proves_change = true;
    return config;
}

namespace {

// TOTP users, and everyone whose standing is not "enrolled": the same
// prompt, the same number of attempts, the same delays, and the same work
// for each answer (code_check.hpp), checked or not.
LoginOutcome run_code_prompts(const std::string& user_name, const Standing& standing,
                              const Config& config, LoginServices& services,
                              AttemptRecorder& recorder) {
    const CheckCost cost = check_cost(config, services.check_primitives);
    bool found_locked = standing.kind == Standing::Kind::locked;
    std::string note;  // put in front of the next prompt, as the SMS/email dialogue does
    for (unsigned attempt = 1; attempt <= config.max_attempts; ++attempt) {
        const std::optional<SecretString> answer =
            services.conversation.ask_hidden(note + config.prompt);
        if (!answer) {
            services.logger.error("the application could not ask user " +
                                  printable_name(user_name) + " for a code");
            return LoginOutcome::conversation_failed;
        }
        const auto digits = normalize_typed_code(answer->view());
        if (standing.kind != Standing::Kind::enrolled) {
            if (digits) {
                check_nothing(digits->view(), services.clock.now(), cost);
            }
        } else if (!digits) {
            services.logger.notice("unusable answer from user " + user_name + " (" +
                                   std::to_string(answer->size()) + " characters)");
        } else {
            switch (recorder.check_and_record(*standing.enrollment, digits->view(),
                                              services.clock.now())) {
                case AttemptResult::accepted: return LoginOutcome::success;
                case AttemptResult::unavailable: return LoginOutcome::unavailable;
                case AttemptResult::locked: found_locked = true; break;
                case AttemptResult::rejected:
                case AttemptResult::replayed: break;
            }
        }
        if (attempt < config.max_attempts) {
            // Wrong, replayed, unusable or not checked: one answer for all,
            // so that the dialogue tells nothing of the user's standing.
            note = wrong_code_note(config, attempt + 1 == config.max_attempts);
            services.clock.sleep_for(std::chrono::milliseconds(config.fail_delay_ms));
        }
    }
    if (!config.help_text.empty()) {
        services.conversation.show_error(config.help_text);
    }
    const char* why = found_locked ? " (locked after repeated wrong codes)"
                      : standing.kind == Standing::Kind::enrolled ? ""
                                                                  : " (not enrolled or refused)";
    services.logger.notice("second factor failed for user " + printable_name(user_name) +
                           " after " + std::to_string(config.max_attempts) + " attempts" + why);
    return LoginOutcome::denied;
}

// The tag of the remote host, when a success from it is to be remembered.
std::optional<HostTag> host_to_remember(const std::string& user_name, const Enrollment& enrollment,
                                        const Config& config, LoginServices& services,
                                        const LoginContext& context) {
    if (config.policy.remember_host == 0 || context.remote_host.empty()) {
        return std::nullopt;  // never for local logins
    }
    const auto key = services.storage.remembered_host_key(services.random);
    if (!key) {
        services.logger.error("remember_host is off for this login: " + key.error().message);
        return std::nullopt;
    }
    return host_tag(*key, user_name, enrollment.id, context.remote_host);
}

LoginOutcome run_enrolled_login(const std::string& user_name, Standing& standing,
                                const Config& config, LoginServices& services,
                                const LoginContext& context) {
    AttemptRecorder recorder(
        services.storage, user_name, config, services.logger,
        host_to_remember(user_name, *standing.enrollment, config, services, context),
        services.check_primitives);
    if (standing.account) {
        recorder.set_account_uid(standing.account->uid);  // looked up once per login
    }
    // The state is read before asking only where it decides something
    // before a code is typed: a remembered host skips the prompt, and a
    // locked user of SMS or email is sent no code. A TOTP user's lock is
    // found with the code, under the lock that records it: one read less.
    const bool delivered = channel_of(standing.enrollment->method).has_value();
    if (!delivered && !recorder.remembers_host()) {
        return run_code_prompts(user_name, standing, config, services, recorder);
    }
    if (const auto recorded = recorder.standing(services.clock.now())) {
        if (recorded->host_remembered) {
            services.logger.info("second factor skipped for user " + user_name +
                                 ": passed from this host within remember_host (" +
                                 std::to_string(config.policy.remember_host) + " s)");
            return LoginOutcome::not_applicable;
        }
        if (recorded->lock_remaining) {
            services.logger.notice("second factor of user " + user_name + " is locked for " +
                                   std::to_string(*recorded->lock_remaining) +
                                   " more s after repeated wrong codes; no code is checked");
            if (delivered) {
                return run_delivered_code_login(user_name, *standing.enrollment, config, services,
                                                recorder, DeliveryLock::locked);
            }
            standing.kind = Standing::Kind::locked;
            return run_code_prompts(user_name, standing, config, services, recorder);
        }
    }
    if (channel_of(standing.enrollment->method)) {
        return run_delivered_code_login(user_name, *standing.enrollment, config, services,
                                        recorder);
    }
    return run_code_prompts(user_name, standing, config, services, recorder);
}

LoginOutcome decide_login(const std::string& user_name, const Config& config,
                          LoginServices& services, const LoginContext& context) {
    Standing standing{Standing::Kind::refused, std::nullopt, std::nullopt};
    if (auto valid = validate_user_name(user_name); !valid) {
        services.logger.error("refusing user name '" + printable_name(user_name) +
                              "': " + valid.error().message);
    } else if (remote_host_exempt(config.policy, context.remote_host, services.logger)) {
        services.logger.info("second factor skipped for user " + user_name +
                             ": the remote host is in exempt_networks");
        return LoginOutcome::not_applicable;
    } else {
        standing = find_standing(user_name, config, services.storage, services.logger);
    }
    if (standing.kind == Standing::Kind::not_enrolled) {
        if (config.nullok) {
            services.logger.debug("user " + user_name +
                                  " is not enrolled; nullok leaves the decision to the stack");
            return LoginOutcome::not_applicable;
        }
        const UserAccount* account = standing.account ? &*standing.account : nullptr;
        if (!enforced_for(config.policy, account, services.logger)) {
            services.logger.debug("user " + user_name +
                                  " is not enrolled and outside enforce; leaving the decision to "
                                  "the stack");
            return LoginOutcome::not_applicable;
        }
    }
    if (standing.kind == Standing::Kind::enrolled) {
        return run_enrolled_login(user_name, standing, config, services, context);
    }
    // Asked like an enrolled user; no code is ever checked or recorded.
    AttemptRecorder never_used(services.storage, user_name, config, services.logger, std::nullopt);
    return run_code_prompts(user_name, standing, config, services, never_used);
}

}  // namespace

LoginOutcome run_login(const std::string& user_name, const Config& config, LoginServices& services,
                       const LoginContext& context) {
    const bool audited = validate_user_name(user_name).ok();
    if (audited) {
        services.storage.expect_login(
            AuditEvent{context.service, user_name, context.remote_host, "login", ""});
    }
    const LoginOutcome outcome = decide_login(user_name, config, services, context);
    // The shared store's audit log (files keep none): every login of a
    // valid name, whatever became of it. A failure to record is logged and
    // changes nothing.
    if (audited) {
        const AuditEvent event{context.service, user_name, context.remote_host, "login",
                               std::string(to_string(outcome))};
        if (auto recorded = services.storage.record_event(event); !recorded) {
            services.logger.warning("cannot record the login of user " + user_name +
                                    " in the audit log: " + recorded.error().message);
        }
    }
    return outcome;
}

LoginOutcome run_login(const std::string& user_name, const Config& config,
                       Conversation& conversation, Logger& logger, const Clock& clock,
                       const LoginContext& context) {
    auto storage = open_storage(config, logger);
    if (!storage) {
        logger.error("cannot open the storage: " + storage.error().message);
        return LoginOutcome::unavailable;
    }
    return run_login(user_name, config, **storage, conversation, logger, clock, context);
}

LoginOutcome run_login(const std::string& user_name, const Config& config, Storage& storage,
                       Conversation& conversation, Logger& logger, const Clock& clock,
                       const LoginContext& context) {
    OpenSslRandom random;
    LoginServices services{conversation,
                           logger,
                           clock,
                           random,
                           storage,
                           [&config, &logger](Channel channel) {
                               return make_message_sender(config.delivery, channel, logger);
                           },
                           host_name(),
                           CheckPrimitives{}};
    return run_login(user_name, config, services, context);
}

}  // namespace otpgate::core
