// The one place where C++ meets the C ABI of libpam: nothing thrown inside
// ever reaches the calling program, and nothing unknown becomes success.
#pragma once

#include <exception>
#include <new>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

namespace otpgate::pam {

template <typename Body>
int guarded(pam_handle_t* pamh, Body&& body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        pam_syslog(pamh, LOG_CRIT, "out of memory");
        return PAM_BUF_ERR;
    } catch (const std::exception& error) {
        pam_syslog(pamh, LOG_ERR, "internal error: %s", error.what());
        return PAM_SERVICE_ERR;
    } catch (...) {
        pam_syslog(pamh, LOG_ERR, "internal error of unknown kind");
        return PAM_SERVICE_ERR;
    }
}

}  // namespace otpgate::pam
