// Everything a command needs, prepared once in main: the configuration,
// the target user, and the things that vary (clock, randomness, input).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "exit_code.hpp"
#include "otpgate/core/config/config.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"
#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/clock.hpp"
#include "otpgate/core/system/logger.hpp"
#include "target_user.hpp"
#include "terminal.hpp"

namespace otpgate::cli {

struct CommandContext {
    core::Config config;
    TargetUser target;
    // Root may lock the root-owned state store; an ordinary user may not.
    bool may_use_state = false;
    const core::Clock& clock;
    core::RandomSource& random;
    CodeReader& codes;
    core::Logger& logger;
    // Enrollments and login state, as the configuration says (open_storage.hpp).
    core::Storage& storage;
    // The fingerprint of the destination root's state showed verified for
    // the target user when the command started (empty: none, or an
    // ordinary user, who cannot read the state). A change notice goes to an
    // old address only if it was proven (announce_change.hpp).
    std::string verified_at_start = {};

    [[nodiscard]] const std::string& user_name() const noexcept { return target.account.name; }
};

// The default file may be missing (built-in defaults); a file named with
// --config must exist. Errors are reported through the logger first.
std::variant<core::Config, Failure> load_configuration(const std::optional<std::string>& path,
                                                       core::Logger& logger);

// The target user's enrollment; not enrolled is ExitCode::not_enrolled.
std::variant<core::Enrollment, Failure> load_enrollment(const CommandContext& context);

// As root, the target user's state transaction, for a command that saves
// an enrollment and then records in the state (a confirming code marked
// used). It begins before anything is saved, so a broken state store
// leaves everything as it was. An ordinary user gets none (null).
std::variant<std::unique_ptr<core::UserTransaction>, Failure> begin_state_if_root(
    const CommandContext& context);

// What root's state shows verified for the target user now: a destination
// fingerprint, or empty (none, unreadable, or not root).
std::string verified_fingerprint(const CommandContext& context);

// "the enrollment of user alice", for messages.
std::string enrollment_of(const CommandContext& context);

}  // namespace otpgate::cli
