// What pam_sm_authenticate does, below the C boundary.
#pragma once

#include <security/pam_modules.h>

namespace otpgate::pam {

int authenticate(pam_handle_t* pamh, int argc, const char** argv);

}  // namespace otpgate::pam
