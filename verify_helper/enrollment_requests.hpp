// The changes otpgate-verify makes whole for an ordinary user when root
// keeps the enrollments (store = local): the user's shell can neither read
// nor write them, so the secret is made, shown and saved on this side.
#pragma once

#include "verification.hpp"
#include "verify_request.hpp"

namespace otpgate::verify {

// The current factor's code if enrolled; then a new secret with the
// configured TOTP parameters, shown once (QR code, base32, otpauth URI),
// and a code from the app read back. Only when it matches is the
// enrollment saved, the code's step recorded as spent (it cannot log in),
// the new backup codes shown once and the change announced.
HelperOutcome enroll_totp(const HelperServices& services, const EnrollTotp& request);

// The caller's google-authenticator file, read with their own file-system
// identity and never through a symlink, becomes their enrollment, as
// `otpgate import google-authenticator` makes it: an existing enrollment is
// replaced only with --force and after its code, and a code from the app
// confirms the secret before it is saved.
HelperOutcome import_google_authenticator(const HelperServices& services,
                                          const ImportGoogleAuthenticator& request);

// What the caller has enrolled, as `otpgate status` shows it, never a
// secret; not_enrolled when nothing.
HelperOutcome show_status(const HelperServices& services);

}  // namespace otpgate::verify
