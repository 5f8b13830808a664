#include "otpgate/core/login_session.hpp"

#include "otpgate/core/code_check.hpp"
#include "otpgate/core/enrollment_store.hpp"
#include "otpgate/core/state_store.hpp"
#include "otpgate/core/text.hpp"
#include "otpgate/core/user_account.hpp"

namespace otpgate::core {
namespace {

constexpr std::size_t max_typed_length = 64;

// What we know about the user before asking. Unenrolled, unknown and
// refused users are asked just like enrolled ones, so that the dialogue
// does not reveal which is which.
struct Standing {
    enum class Kind { enrolled, not_enrolled, refused } kind = Kind::refused;
    std::optional<Enrollment> enrollment;
};

Standing find_standing(const std::string& user_name, const Config& config, Logger& logger) {
    const auto account = lookup_user(user_name);
    if (!account) {
        if (account.error().kind == ErrorKind::not_found) {
            logger.debug("user " + user_name + " does not exist; treated as not enrolled");
            return {Standing::Kind::not_enrolled, std::nullopt};
        }
        logger.error(account.error().message);
        return {Standing::Kind::refused, std::nullopt};
    }
    const EnrollmentStore store(config.enrollment_path);
    auto enrollment = store.load(*account);
    if (enrollment) {
        return {Standing::Kind::enrolled, std::move(enrollment.value())};
    }
    if (enrollment.error().kind == ErrorKind::not_found) {
        logger.debug("user " + user_name + " is not enrolled");
        return {Standing::Kind::not_enrolled, std::nullopt};
    }
    logger.error("refusing enrollment of user " + user_name + ": " + enrollment.error().message);
    return {Standing::Kind::refused, std::nullopt};
}

enum class AttemptResult { accepted, rejected, unavailable };

AttemptResult check_attempt(const std::string& user_name, const Enrollment& enrollment,
                            std::string_view digits, const Config& config, Logger& logger,
                            const Clock& clock) {
    // Locked from read to write: of many logins racing with one code,
    // exactly one sees the step unused. Never held while prompting.
    const StateStore states(config.state_dir);
    auto locked = states.lock(user_name);
    if (!locked) {
        logger.error("cannot check the code of user " + user_name + ": " + locked.error().message);
        return AttemptResult::unavailable;
    }
    UserState& state = locked->state();
    const CodeVerdict verdict =
        check_code(enrollment, state, digits, clock.now(), config.totp_window);
    switch (verdict) {
        case CodeVerdict::accepted_totp:
        case CodeVerdict::accepted_backup: {
            if (auto saved = locked->commit(); !saved) {
                // Without a durable record the code could be used again.
                logger.error("refusing a valid code of user " + user_name +
                             " because it cannot be recorded: " + saved.error().message);
                return AttemptResult::unavailable;
            }
            if (verdict == CodeVerdict::accepted_backup) {
                const auto used = static_cast<unsigned>(__builtin_popcountll(state.backup_used_mask));
                logger.notice("user " + user_name + " authenticated with a backup code (" +
                              std::to_string(enrollment.backup.hashes_hex.size() - used) + " left)");
            } else {
                logger.info("user " + user_name + " authenticated with a TOTP code");
            }
            return AttemptResult::accepted;
        }
        case CodeVerdict::replayed:
            logger.warning("replayed code for user " + user_name + " refused");
            return AttemptResult::rejected;
        case CodeVerdict::wrong:
            logger.notice("wrong code for user " + user_name + " (" + std::to_string(digits.size()) +
                          " digits)");
            return AttemptResult::rejected;
    }
    return AttemptResult::rejected;
}

// User names come from the client; a log line must not let one forge lines.
std::string printable_name(std::string_view name) {
    return printable(name, 64);
}

}  // namespace

std::string_view to_string(LoginOutcome outcome) {
    switch (outcome) {
        case LoginOutcome::success: return "success";
        case LoginOutcome::denied: return "denied";
        case LoginOutcome::not_applicable: return "not applicable";
        case LoginOutcome::conversation_failed: return "conversation failed";
        case LoginOutcome::unavailable: return "unavailable";
    }
    return "?";
}

std::optional<SecretString> normalize_typed_code(std::string_view typed) {
    if (typed.size() > max_typed_length) {
        return std::nullopt;
    }
    SecretString digits;
    for (const char c : typed) {
        if (c >= '0' && c <= '9') {
            digits.push_back(c);
        } else if (c != ' ' && c != '-' && c != '.' && c != '\t') {
            return std::nullopt;
        }
    }
    if (digits.empty()) {
        return std::nullopt;
    }
    return digits;
}

LoginOutcome run_login(const std::string& user_name, const Config& config,
                       Conversation& conversation, Logger& logger, const Clock& clock) {
    Standing standing{Standing::Kind::refused, std::nullopt};
    if (auto valid = validate_user_name(user_name); !valid) {
        logger.error("refusing user name '" + printable_name(user_name) + "': " +
                     valid.error().message);
    } else {
        standing = find_standing(user_name, config, logger);
    }
    if (standing.kind == Standing::Kind::not_enrolled && config.nullok) {
        logger.debug("user " + user_name + " is not enrolled; nullok leaves the decision to the stack");
        return LoginOutcome::not_applicable;
    }

    for (unsigned attempt = 1; attempt <= config.max_attempts; ++attempt) {
        const std::optional<SecretString> answer = conversation.ask_hidden(config.prompt);
        if (!answer) {
            logger.error("the application could not ask user " + printable_name(user_name) +
                         " for a code");
            return LoginOutcome::conversation_failed;
        }
        if (standing.kind == Standing::Kind::enrolled) {
            const auto digits = normalize_typed_code(answer->view());
            if (!digits) {
                logger.notice("unusable answer from user " + user_name + " (" +
                              std::to_string(answer->size()) + " characters)");
            } else {
                switch (check_attempt(user_name, *standing.enrollment, digits->view(), config,
                                      logger, clock)) {
                    case AttemptResult::accepted: return LoginOutcome::success;
                    case AttemptResult::unavailable: return LoginOutcome::unavailable;
                    case AttemptResult::rejected: break;
                }
            }
        }
        if (attempt < config.max_attempts) {
            clock.sleep_for(std::chrono::milliseconds(config.fail_delay_ms));
        }
    }
    const char* why = standing.kind == Standing::Kind::enrolled ? "" : " (not enrolled or refused)";
    logger.notice("second factor failed for user " + printable_name(user_name) + " after " +
                  std::to_string(config.max_attempts) + " attempts" + why);
    return LoginOutcome::denied;
}

}  // namespace otpgate::core
