#include "code_confirmation.hpp"

#include <cstdio>

#include "otpgate/core/login/code_check.hpp"
#include "otpgate/core/login/login_session.hpp"
#include "otpgate/core/login/recorded_check.hpp"
#include "terminal_conversation.hpp"
#include "verify_helper_client.hpp"

namespace otpgate::cli {
namespace {

CodeCheck to_code_check(core::CodeVerdict verdict) {
    switch (verdict) {
        case core::CodeVerdict::accepted_totp:
        case core::CodeVerdict::accepted_backup: return CodeCheck::accepted;
        case core::CodeVerdict::replayed: return CodeCheck::replayed;
        case core::CodeVerdict::wrong: return CodeCheck::wrong;
    }
    return CodeCheck::wrong;
}

Failure locked_out(const CommandContext& context, std::int64_t seconds) {
    return Failure{ExitCode::not_verified,
                   "the second factor of user " + context.user_name() + " is locked for " +
                       std::to_string(seconds) +
                       " s more after repeated wrong codes; nothing was changed"};
}

// Recorded exactly as a login records it (recorded_check.hpp): the code is
// spent, a wrong one counts toward the lockout and none is checked while
// locked, so this command is no way around the lockout. Of a login and
// this command racing with one code, exactly one gets it.
CheckResult check_and_record(const CommandContext& context, core::AttemptRecorder& recorder,
                             const core::Enrollment& enrollment, std::string_view digits) {
    const std::int64_t now = context.clock.now();
    switch (recorder.check_and_record(enrollment, digits, now)) {
        case core::AttemptResult::accepted: return CodeCheck::accepted;
        case core::AttemptResult::rejected: return CodeCheck::wrong;
        case core::AttemptResult::replayed: return CodeCheck::replayed;
        case core::AttemptResult::locked: {
            const auto standing = recorder.standing(now);
            return locked_out(context, standing && standing->lock_remaining
                                           ? *standing->lock_remaining
                                           : std::int64_t{context.config.policy.lockout.duration});
        }
        case core::AttemptResult::unavailable: break;
    }
    return Failure{ExitCode::storage,
                   "the login state of user " + context.user_name() + " cannot be read or written"};
}

CheckResult check_unrecorded(const CommandContext& context, const core::Enrollment& enrollment,
                             std::string_view digits) {
    core::UserState blank;
    return to_code_check(core::check_code(enrollment, blank, digits, context.clock.now(),
                                          core::check_cost(context.config)));
}

}  // namespace

std::string code_prompt(unsigned digits, bool backup_codes_accepted) {
    if (backup_codes_accepted) {
        return "Enter a " + std::to_string(digits) +
               "-digit code from your app, or a backup code: ";
    }
    return "Enter the " + std::to_string(digits) + "-digit code from your app: ";
}

std::optional<Failure> ask_until_accepted(CodeReader& codes, std::string_view prompt,
                                          const CodeChecker& check) {
    for (unsigned attempt = 1; attempt <= max_code_tries; ++attempt) {
        const auto typed = codes.read_code(prompt);
        if (!typed) {
            return Failure{ExitCode::not_verified, "no code given; nothing was changed"};
        }
        const auto digits = core::normalize_typed_code(typed->view());
        CheckResult result = CodeCheck::wrong;
        if (digits) {
            result = check(digits->view());
        }
        if (const auto* failure = std::get_if<Failure>(&result)) {
            return *failure;
        }
        const CodeCheck verdict = std::get<CodeCheck>(result);
        if (verdict == CodeCheck::accepted) {
            return std::nullopt;
        }
        const bool last = attempt == max_code_tries;
        if (!digits) {
            tell(last ? "That is not a code: codes are made of digits."
                      : "That is not a code: codes are made of digits. Try again.");
        } else if (verdict == CodeCheck::replayed) {
            tell(last ? "That code was already used."
                      : "That code was already used. Wait for the next one and try again.");
        } else {
            tell(last ? "That code is not valid." : "That code is not valid. Try again.");
        }
    }
    return Failure{ExitCode::not_verified, "code not verified; nothing was changed"};
}

namespace {

// Root, whose own enrollment sends codes: the login dialogue itself, at
// this terminal, with a delivery failure never counting as proof.
std::optional<Failure> prove_by_sent_code(const CommandContext& context) {
    const core::Config config = core::proof_config(context.config);
    TerminalConversation conversation(context.codes);
    switch (core::run_login(context.user_name(), config, context.storage, conversation,
                            context.logger, context.clock)) {
        case core::LoginOutcome::success: return std::nullopt;
        case core::LoginOutcome::unavailable:
            return Failure{ExitCode::storage, "the login state of user " + context.user_name() +
                                                  " cannot be read or written"};
        default: return Failure{ExitCode::not_verified, "code not verified; nothing was changed"};
    }
}

}  // namespace

std::optional<Failure> confirm_possession(const CommandContext& context,
                                          const core::Enrollment& enrollment) {
    const bool sends_codes = core::channel_of(enrollment.method).has_value();
    if (!context.may_use_state) {
        if (verify_helper_installed(context.config)) {
            return run_verify_helper(context.config, {"prove"});
        }
        if (sends_codes) {
            return Failure{ExitCode::not_permitted,
                           "a code can only be sent to you through otpgate-verify, which is not "
                           "installed (" +
                               context.config.verify_helper + "); ask an administrator"};
        }
    } else if (sends_codes) {
        return prove_by_sent_code(context);
    }
    const bool backup_codes =
        core::backup_codes_usable(enrollment.backup, context.config.backup_code_iterations);
    const std::string prompt = code_prompt(enrollment.totp.digits, backup_codes);
    if (!context.may_use_state) {
        return ask_until_accepted(context.codes, prompt, [&](std::string_view digits) {
            return check_unrecorded(context, enrollment, digits);
        });
    }
    core::AttemptRecorder recorder(context.storage, context.user_name(), context.config,
                                   context.logger, std::nullopt);
    // Refused before asking: no code is checked while the lock lasts.
    if (const auto standing = recorder.standing(context.clock.now());
        standing && standing->lock_remaining) {
        return locked_out(context, *standing->lock_remaining);
    }
    return ask_until_accepted(context.codes, prompt, [&](std::string_view digits) {
        return check_and_record(context, recorder, enrollment, digits);
    });
}

std::optional<Failure> hand_over_new_totp(const CommandContext& context,
                                          const std::optional<core::Enrollment>& previous,
                                          const core::SecretString& confirming_code) {
    std::vector<std::string> arguments{"confirm-totp"};
    if (previous && previous->method == core::Method::email) {
        arguments.push_back(previous->destination);
    }
    auto refused = run_verify_helper(context.config, arguments, &confirming_code);
    if (!refused) {
        return std::nullopt;
    }
    const auto restored = previous
                              ? context.storage.save_enrollment(context.target.account, *previous)
                              : context.storage.remove_enrollment(context.target.account);
    if (!restored) {
        return Failure{ExitCode::storage,
                       "otpgate-verify did not take the new enrollment, and the old one cannot be "
                       "put back: " +
                           restored.error().message + "; enroll again"};
    }
    if (refused->message.empty()) {
        refused->message = "the new enrollment was not confirmed by otpgate-verify";
    }
    refused->message += "; nothing was changed";
    return refused;
}

}  // namespace otpgate::cli
