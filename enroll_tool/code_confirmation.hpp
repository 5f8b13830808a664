// Asking for a code until one is accepted, and proving possession of an
// enrollment before changing it.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <variant>

#include "command_context.hpp"
#include "exit_code.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "terminal.hpp"

namespace otpgate::cli {

inline constexpr unsigned max_code_tries = 3;

enum class CodeCheck { accepted, wrong, replayed };

// A checker's verdict on one code, or a reason to stop asking (a state
// file that cannot be locked or written).
using CheckResult = std::variant<CodeCheck, Failure>;
using CodeChecker = std::function<CheckResult(std::string_view digits)>;

// Asks up to max_code_tries times. nullopt once a code is accepted;
// otherwise why not: ExitCode::not_verified after wrong codes or at end of
// input, or the checker's failure.
std::optional<Failure> ask_until_accepted(CodeReader& codes, std::string_view prompt,
                                          const CodeChecker& check);

// The user shows a valid, unused code of `enrollment` before it is
// changed: TOTP or backup, or one sent to the verified destination. The
// code is recorded like a login's, so it cannot be used again: as root
// in-process, as an ordinary user through the set-uid otpgate-verify. An
// ordinary user on a host without the helper can still prove a TOTP or
// backup code, which is then checked but not recorded; sent codes need it.
std::optional<Failure> confirm_possession(const CommandContext& context,
                                          const core::Enrollment& enrollment);

// An ordinary user's new TOTP enrollment, already saved, is finished by
// otpgate-verify (when installed): it records the confirming code's step as
// spent in root's state, so the code typed here cannot log in again, and
// sends the change notice, which needs credentials only root can read. If
// it refuses, `previous` is put back (or the new file removed): a change
// the privileged side did not take is no change. nullopt on success.
std::optional<Failure> hand_over_new_totp(const CommandContext& context,
                                          const std::optional<core::Enrollment>& previous,
                                          const core::SecretString& confirming_code);

// "Enter the 6-digit code from your app: "
std::string code_prompt(unsigned digits, bool backup_codes_accepted);

}  // namespace otpgate::cli
