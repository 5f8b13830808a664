// libpam, as far as pam_otpgate.so uses it, for the login target
// (fuzz_login.cpp): pam_sm_authenticate runs in the fuzzer's process with a
// handle the harness fills from the input, as an application would through
// pam_start and pam_set_item. The functions are those the module calls
// (`grep -rn "pam_" pam_module/`): pam_get_item, pam_get_user,
// pam_fail_delay, pam_syslog and pam_vsyslog.
#pragma once

#include <security/pam_appl.h>

#include <optional>
#include <string>
#include <vector>

// libpam's own handle is opaque to modules; this is the harness's.
struct pam_handle {
    // The user, or nullopt: pam_get_user fails with `user_error`.
    std::optional<std::string> user;
    int user_error = PAM_SYSTEM_ERR;
    std::optional<std::string> service;      // PAM_SERVICE
    std::optional<std::string> remote_host;  // PAM_RHOST
    // PAM_CONV: nullopt when the application set none.
    std::optional<pam_conv> conversation;
    // What the module logged, one line each: printed with a finding.
    mutable std::vector<std::string> log;
    unsigned fail_delay_us = 0;
};
