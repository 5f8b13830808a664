#include "pam_logger.hpp"

#include <security/pam_ext.h>
#include <syslog.h>

namespace otpgate::pam {

void PamLogger::log(core::Severity severity, std::string_view message) {
    int priority = LOG_INFO;
    switch (severity) {
        case core::Severity::error: priority = LOG_ERR; break;
        case core::Severity::warning: priority = LOG_WARNING; break;
        case core::Severity::notice: priority = LOG_NOTICE; break;
        case core::Severity::info: priority = LOG_INFO; break;
        case core::Severity::debug: priority = LOG_DEBUG; break;
    }
    pam_syslog(m_pamh, priority, "%.*s", static_cast<int>(message.size()), message.data());
}

}  // namespace otpgate::pam
