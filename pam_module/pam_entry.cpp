// The exported entry points: each is one guarded call.
#include <security/pam_modules.h>

#include "authenticate.hpp"
#include "pam_guard.hpp"

// PAM_EXTERN is plain `extern`: under -fvisibility=hidden the entry points
// need default visibility, or the version script has nothing to export.
#define OTPGATE_PAM_ENTRY __attribute__((visibility("default")))

extern "C" {

OTPGATE_PAM_ENTRY PAM_EXTERN int pam_sm_authenticate(pam_handle_t* pamh, int /*flags*/, int argc,
                                                     const char** argv) {
    return otpgate::pam::guarded(pamh,
                                 [&] { return otpgate::pam::authenticate(pamh, argc, argv); });
}

// The second factor grants no credentials of its own.
OTPGATE_PAM_ENTRY PAM_EXTERN int pam_sm_setcred(pam_handle_t* /*pamh*/, int /*flags*/, int /*argc*/,
                                                const char** /*argv*/) {
    return PAM_SUCCESS;
}

}  // extern "C"
