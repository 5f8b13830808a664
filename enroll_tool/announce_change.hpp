// After a command changed a user's second factor: the log line and the
// email notice of core/change_notice.hpp, with the method described the
// way status shows it (masked).
#pragma once

#include "command_context.hpp"
#include "otpgate/core/enrollment/change_notice.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"

namespace otpgate::cli {

// "TOTP app", "SMS to +44•••••••123", "email to a•••@example.com".
std::string describe_method(const core::Enrollment& enrollment);

// `subject`: the enrollment the change is about (the new one, or the one
// removed); null when it could not be read. `previous`: the enrollment it
// replaced, if any. Email destinations of both get the notice when root's
// state showed them verified before the change or shows them now; an
// ordinary user's own command cannot read the state, so only
// user@notify_domain can get theirs. Never fails: the change has already
// happened. The caller must not hold the user's state lock: this reads it.
void announce_change(const CommandContext& context, core::ChangeKind kind,
                     const core::Enrollment* subject, const core::Enrollment* previous = nullptr);

// The change's line in the store's audit log (only the shared store keeps
// one): "enabled", "disabled", "unlocked", ... of the target user, by this
// command. A failure to record is logged; the change stands.
void audit_change(const CommandContext& context, std::string_view event);

}  // namespace otpgate::cli
