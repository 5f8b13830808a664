#include "otpgate/core/storage/enrollment_move.hpp"

#include <optional>

#include "otpgate/core/primitives/secret.hpp"

namespace otpgate::core {
namespace {

// The same enrollment: every field, the id and the secret included.
bool same_enrollment(const Enrollment& a, const Enrollment& b) {
    const SecretString text_a = serialize_enrollment(a);
    const SecretString text_b = serialize_enrollment(b);
    return constant_time_equal(text_a.view(), text_b.view());
}

// The place's copy, nullopt when it holds none; an error names the file.
Result<std::optional<Enrollment>> read_place(const EnrollmentPlaces& places, StoreKind place,
                                             const UserAccount& account) {
    auto loaded = places.load(place, account);
    if (loaded) {
        return std::optional<Enrollment>(std::move(loaded.value()));
    }
    if (holds_nothing(place, loaded.error())) {
        return std::optional<Enrollment>();
    }
    return make_error(loaded.error().kind, "the copy in the " + std::string(to_string(place)) +
                                               " store: " + loaded.error().message);
}

// Removes the copy just written, after it failed its check: one copy again.
Error undo_copy(const EnrollmentPlaces& places, StoreKind to, const UserAccount& account,
                const std::string& why) {
    std::string message = why + "; the old copy was kept";
    if (auto removed = places.remove(to, account); !removed) {
        message += ", and the new copy could not be removed: " + removed.error().message;
    } else {
        message += " and the new copy removed";
    }
    return make_error(ErrorKind::io, message);
}

}  // namespace

std::string_view to_string(MoveOutcome outcome) {
    switch (outcome) {
        case MoveOutcome::moved: return "moved";
        case MoveOutcome::finished: return "finished";
        case MoveOutcome::already_there: return "already there";
        case MoveOutcome::nothing_to_move: return "nothing to move";
        case MoveOutcome::conflict: return "conflict";
    }
    return "unknown";
}

Result<MoveOutcome> move_enrollment(const EnrollmentPlaces& places, const UserAccount& account,
                                    StoreKind to, bool dry_run) {
    const StoreKind from = other_store(to);
    auto source = read_place(places, from, account);
    if (!source) {
        return source.error();
    }
    auto existing = read_place(places, to, account);
    if (!existing) {
        return existing.error();
    }
    if (!*source) {
        return *existing ? MoveOutcome::already_there : MoveOutcome::nothing_to_move;
    }
    if (*existing) {
        if (!same_enrollment(**source, **existing)) {
            return MoveOutcome::conflict;
        }
    } else if (!dry_run) {
        if (auto saved = places.save(to, account, **source); !saved) {
            return make_error(saved.error().kind, "cannot write " + places.describe(to, account) +
                                                      ": " + saved.error().message +
                                                      "; the old copy was kept");
        }
        const auto written = places.load(to, account);
        if (!written) {
            return undo_copy(places, to, account,
                             "the new copy cannot be read back: " + written.error().message);
        }
        if (!same_enrollment(**source, *written)) {
            return undo_copy(places, to, account, "the new copy reads back differently");
        }
    }
    if (!dry_run) {
        // Changed meanwhile (the user enrolled again in their own file):
        // the newer one must not be lost. Gone already is fine: a save
        // through Storage removes the other copy itself.
        auto again = read_place(places, from, account);
        if (!again) {
            return again.error();
        }
        if (*again && !same_enrollment(**source, **again)) {
            return make_error(
                ErrorKind::unavailable,
                places.describe(from, account) + " changed during the move; both copies were kept");
        }
        if (auto removed = places.remove(from, account);
            !removed && removed.error().kind != ErrorKind::not_found) {
            return make_error(removed.error().kind,
                              "the copy in " + places.describe(to, account) +
                                  " is in place, but the old copy in " +
                                  places.describe(from, account) +
                                  " cannot be removed: " + removed.error().message);
        }
    }
    return *existing ? MoveOutcome::finished : MoveOutcome::moved;
}

}  // namespace otpgate::core
