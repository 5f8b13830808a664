#include "pam_logger.hpp"

#include <security/pam_ext.h>
#include <syslog.h>

#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::pam {

PamLogger::PamLogger(pam_handle_t* pamh) : m_pamh(pamh) {
    const void* rhost = nullptr;
    if (pam_get_item(pamh, PAM_RHOST, &rhost) == PAM_SUCCESS && rhost != nullptr) {
        // The remote host is the client's word: made safe and short here,
        // since it is added after log() made the message safe.
        const std::string host = core::one_line(static_cast<const char*>(rhost), 255);
        if (!host.empty()) {
            m_suffix = "; rhost=" + host;
        }
    }
}

void PamLogger::write(core::Severity severity, std::string_view line) {
    int priority = LOG_INFO;
    switch (severity) {
        case core::Severity::error: priority = LOG_ERR; break;
        case core::Severity::warning: priority = LOG_WARNING; break;
        case core::Severity::notice: priority = LOG_NOTICE; break;
        case core::Severity::info: priority = LOG_INFO; break;
        case core::Severity::debug: priority = LOG_DEBUG; break;
    }
    pam_syslog(m_pamh, priority, "%.*s%s", static_cast<int>(line.size()), line.data(),
               m_suffix.c_str());
}

}  // namespace otpgate::pam
