// What otpgate-verify does once its process and request are in order:
// prove the current second factor, and verify a new destination.
#pragma once

#include <string>

#include "helper_services.hpp"
#include "verify_request.hpp"

namespace otpgate::verify {

// The current factor's code, checked and recorded exactly as at login
// (a sent code goes only to the destination root recorded as verified).
HelperOutcome prove_current(const HelperServices& services);

// If the user has an enrollment, its code first (so a stolen session cannot
// move codes elsewhere without it); then one code to the new destination
// under the user's send limits; when it comes back, the destination's
// fingerprint is recorded as verified in the root-owned state.
//
// A missing or damaged enrollment counts as none only when root's state
// shows no verified destination and no enrollment: otherwise the change
// would skip the code it needs, and only root may reset the user.
//
// With request.enroll (store = local), the SMS or email enrollment is saved
// in the same transaction that records the proof, keeping the backup codes
// the user holds or showing new ones once.
HelperOutcome verify_destination(const HelperServices& services, const VerifyDestination& request);

// The confirming code of a TOTP enrollment the otpgate command just saved,
// read from standard input, checked and recorded as spent like a login;
// then the change notice. See ConfirmTotp.
HelperOutcome confirm_totp(const HelperServices& services, const ConfirmTotp& request);

// The current factor's code, then the enrollment removed with the user's
// own file-system rights, root's record of it reset, and the notice sent.
HelperOutcome disable_enrollment(const HelperServices& services);

// The current factor's code, then new backup codes saved, shown once on
// standard output, and the notice sent.
HelperOutcome renew_backup_codes(const HelperServices& services);

}  // namespace otpgate::verify
