// Moving one user's enrollment from one place of this host to the other
// (`otpgate store migrate`, enrollment_places.hpp). The enrollment moves
// as it is, id included, so the login state, which stays in the state
// directory (spent steps and backup codes, the verified destination, the
// lockout, remembered hosts), applies to it unchanged.
//
// Crash-safe: the new copy is written atomically, read back and compared
// before the old one is removed, so whenever the process stops the user
// holds the old copy, two identical copies, or the new one; a login reads
// any of these (FileStorage looks in both places). Idempotent: a second run
// finds the move done, or finishes it.
#pragma once

#include <string_view>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/storage/enrollment_places.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {

enum class MoveOutcome {
    moved,            // copied, read back, the old copy removed
    finished,         // an identical copy was there already (a move cut short): old one removed
    already_there,    // only the destination holds one
    nothing_to_move,  // neither place holds one
    conflict,         // both hold one and they differ: both left as they are
};

// "moved", "finished", "already there", "nothing to move", "conflict".
std::string_view to_string(MoveOutcome outcome);

// Moves the account's enrollment to `to`. With `dry_run`, reads both places
// and says what it would do, changing nothing. An error (a copy unreadable
// or refused, a write that failed or read back differently) leaves the
// source copy in place; the message says which file and why.
Result<MoveOutcome> move_enrollment(const EnrollmentPlaces& places, const UserAccount& account,
                                    StoreKind to, bool dry_run);

}  // namespace otpgate::core
