// The libpam functions the module calls, answering from the harness's
// handle (pam_stub.hpp). Harness code, not code under test: no injected
// failure reaches it.
#include "pam_stub.hpp"

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include <array>
#include <cstdarg>
#include <cstdio>

#include "fault_injection.hpp"

extern "C" {

int pam_get_item(const pam_handle_t* pamh, int item_type, const void** item) {
    const otpgate::fuzz::FaultsPaused paused;
    if (item == nullptr) {
        return PAM_SYSTEM_ERR;
    }
    *item = nullptr;
    switch (item_type) {
        case PAM_SERVICE:
            *item = pamh->service ? pamh->service->c_str() : nullptr;
            return PAM_SUCCESS;
        case PAM_RHOST:
            *item = pamh->remote_host ? pamh->remote_host->c_str() : nullptr;
            return PAM_SUCCESS;
        case PAM_USER: *item = pamh->user ? pamh->user->c_str() : nullptr; return PAM_SUCCESS;
        case PAM_CONV:
            if (!pamh->conversation) {
                return PAM_SYSTEM_ERR;
            }
            *item = &*pamh->conversation;
            return PAM_SUCCESS;
        default: return PAM_BAD_ITEM;
    }
}

int pam_get_user(pam_handle_t* pamh, const char** user, const char* /*prompt*/) {
    const otpgate::fuzz::FaultsPaused paused;
    if (!pamh->user) {
        *user = nullptr;
        return pamh->user_error;
    }
    *user = pamh->user->c_str();
    return PAM_SUCCESS;
}

int pam_fail_delay(pam_handle_t* pamh, unsigned int musec_delay) {
    const otpgate::fuzz::FaultsPaused paused;
    pamh->fail_delay_us = musec_delay;
    return PAM_SUCCESS;
}

void pam_vsyslog(const pam_handle_t* pamh, int /*priority*/, const char* fmt, va_list args) {
    const otpgate::fuzz::FaultsPaused paused;
    std::array<char, 2048> line{};
    std::vsnprintf(line.data(), line.size(), fmt, args);
    pamh->log.emplace_back(line.data());
}

void pam_syslog(const pam_handle_t* pamh, int priority, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    pam_vsyslog(pamh, priority, fmt, args);
    va_end(args);
}

}  // extern "C"
