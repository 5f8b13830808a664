// What every request of otpgate-verify reads from root's records and how it
// reports: storage errors as outcomes, root's view of the user's factor,
// and the change notice. Shared by verification.cpp and enrollment_requests.cpp.
#pragma once

#include <optional>
#include <string>

#include "helper_services.hpp"
#include "otpgate/core/enrollment/change_notice.hpp"
#include "otpgate/core/enrollment/enrollment.hpp"

namespace otpgate::verify {

// An error of the store as the helper's outcome: unsafe is not_permitted.
HelperOutcome storage_outcome(const core::Error& error, const std::string& what);

// "SMS +44•••••••123", "email a•••@example.com".
std::string describe(core::Channel channel, const std::string& destination);

// As the notice shows a method: "TOTP app", "SMS +44•••••••123".
std::string describe_enrollment(const core::Enrollment& enrollment);

// What root's state holds for the user: an empty record when there is
// none, an error when it cannot be read (which proves nothing either way).
core::Result<core::UserState> root_record(const HelperServices& services);

// The destination root's state shows verified; empty when none or unreadable
// (then no address counts as proven, and a notice goes to notify_domain).
std::string verified_destination(const HelperServices& services);

// Whether root's state shows a second factor the user would have to prove:
// a destination verified by code, or an enrollment a login used.
bool state_shows_a_factor(const core::UserState& state);

// For a user whose enrollment is missing or damaged: refused when root's
// state shows a second factor, or cannot be read to tell.
std::optional<HelperOutcome> refuse_without_proof(const HelperServices& services,
                                                  const core::Error& file_error);

// The address of an email enrollment, if root's state shows it proven.
core::NoticeAddresses proven_address_of(const core::Enrollment& enrollment,
                                        const std::string& verified);

void send_notice(const HelperServices& services, core::ChangeKind kind, std::string description,
                 const core::NoticeAddresses& addresses);

}  // namespace otpgate::verify
