#include "otpgate/core/system/syslog_logger.hpp"

#include <syslog.h>

namespace otpgate::core {
namespace {

int priority_of(Severity severity) {
    switch (severity) {
        case Severity::error: return LOG_ERR;
        case Severity::warning: return LOG_WARNING;
        case Severity::notice: return LOG_NOTICE;
        case Severity::info: return LOG_INFO;
        case Severity::debug: return LOG_DEBUG;
    }
    return LOG_ERR;
}

}  // namespace

SyslogLogger::SyslogLogger(std::string identity) : m_identity(std::move(identity)) {
    openlog(m_identity.c_str(), LOG_PID, LOG_AUTHPRIV);
}

SyslogLogger::~SyslogLogger() {
    closelog();
}

void SyslogLogger::write(Severity severity, std::string_view line) {
    syslog(LOG_AUTHPRIV | priority_of(severity), "%.*s", static_cast<int>(line.size()),
           line.data());
}

// The line is safe already; the inner loggers find nothing more to escape.
void StderrAndSyslogLogger::write(Severity severity, std::string_view line) {
    m_stderr.log(severity, line);
    if (severity != Severity::debug) {
        m_syslog.log(severity, line);
    }
}

}  // namespace otpgate::core
