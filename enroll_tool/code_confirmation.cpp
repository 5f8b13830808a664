#include "code_confirmation.hpp"

#include <cstdio>

#include "otpgate/core/code_check.hpp"
#include "otpgate/core/login_session.hpp"
#include "otpgate/core/state_store.hpp"
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

// Locked from read to write, like a login, and never while asking: of a
// login and this command racing with one code, exactly one gets it.
CheckResult check_and_record(const CommandContext& context, const core::Enrollment& enrollment,
                             std::string_view digits) {
    const core::StateStore states(context.config.state_dir);
    auto locked = states.lock(context.user_name());
    if (!locked) {
        return storage_failure(locked.error(), "the login state of user " + context.user_name());
    }
    const core::CodeVerdict verdict = core::check_code(
        enrollment, locked->state(), digits, context.clock.now(), context.config.totp_window);
    const CodeCheck outcome = to_code_check(verdict);
    if (outcome == CodeCheck::accepted) {
        if (auto saved = locked->commit(); !saved) {
            // Unrecorded, the code could be used again: treat it as not given.
            return storage_failure(saved.error(), "the login state of user " + context.user_name());
        }
    }
    return outcome;
}

CheckResult check_unrecorded(const CommandContext& context, const core::Enrollment& enrollment,
                             std::string_view digits) {
    core::UserState blank;
    return to_code_check(core::check_code(enrollment, blank, digits, context.clock.now(),
                                          context.config.totp_window));
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
    switch (core::run_login(context.user_name(), config, conversation, context.logger,
                            context.clock)) {
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
                           "installed (" + context.config.verify_helper +
                               "); ask an administrator"};
        }
    } else if (sends_codes) {
        return prove_by_sent_code(context);
    }
    const bool backup_codes = !enrollment.backup.hashes_hex.empty();
    const std::string prompt = code_prompt(enrollment.totp.digits, backup_codes);
    return ask_until_accepted(context.codes, prompt, [&](std::string_view digits) {
        return context.may_use_state ? check_and_record(context, enrollment, digits)
                                     : check_unrecorded(context, enrollment, digits);
    });
}

}  // namespace otpgate::cli
