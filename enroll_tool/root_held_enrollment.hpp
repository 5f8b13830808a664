// An ordinary user's side of `store = local`, where root keeps every
// enrollment (root_enrollment_store.hpp): the user's shell can neither read
// nor write theirs, so each change is made whole by the set-uid
// otpgate-verify, which talks to the person at this terminal itself. This
// command then writes nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "command_context.hpp"
#include "exit_code.hpp"

namespace otpgate::cli {

// Whether the target user's enrollment is root's to keep and this command
// runs as that user (not as root).
bool enrollment_held_by_root(const CommandContext& context);

// Runs `otpgate-verify REQUEST...` for the whole change and reports how it
// ended; refuses clearly when no helper is installed (only root can then
// change enrollments).
ExitCode change_through_helper(const CommandContext& context,
                               const std::vector<std::string>& request);

// `otpgate status` for an ordinary user whose enrollment root keeps: the
// helper's summary (no secret), or, without a helper, where to ask.
ExitCode show_root_held_status(const CommandContext& context);

}  // namespace otpgate::cli
