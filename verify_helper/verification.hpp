// What otpgate-verify does once its process and request are in order:
// prove the current second factor, and verify a new destination.
#pragma once

#include <string>

#include "helper_exit.hpp"
#include "otpgate/core/login_session.hpp"
#include "otpgate/core/user_account.hpp"
#include "verify_request.hpp"

namespace otpgate::verify {

struct HelperServices {
    const core::Config& config;  // failmode forced to secure, nullok off
    const core::UserAccount& account;  // the real user, never one named by the caller
    core::LoginServices& login;
};

struct HelperOutcome {
    HelperExit exit = HelperExit::internal;
    std::string message;  // for the person: a success line, or why not
};

// The current factor's code, checked and recorded exactly as at login
// (a sent code goes only to the destination root recorded as verified).
HelperOutcome prove_current(const HelperServices& services);

// If the user has an enrollment, its code first (so a stolen session cannot
// move codes elsewhere without it); then one code to the new destination
// under the user's send limits; when it comes back, the destination's
// fingerprint is recorded as verified in the root-owned state.
HelperOutcome verify_destination(const HelperServices& services, const VerifyDestination& request);

}  // namespace otpgate::verify
