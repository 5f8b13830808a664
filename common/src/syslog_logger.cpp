#include "otpgate/core/syslog_logger.hpp"

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

// One line per message, so nothing in it can start a forged line; UTF-8
// (the dots of a masked number) passes.
std::string one_line(std::string_view message) {
    std::string line(message.substr(0, 1024));
    for (char& c : line) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            c = '?';
        }
    }
    return line;
}

}  // namespace

SyslogLogger::SyslogLogger(std::string identity) : m_identity(std::move(identity)) {
    openlog(m_identity.c_str(), LOG_PID, LOG_AUTHPRIV);
}

SyslogLogger::~SyslogLogger() {
    closelog();
}

void SyslogLogger::log(Severity severity, std::string_view message) {
    const std::string line = one_line(message);
    syslog(LOG_AUTHPRIV | priority_of(severity), "%s", line.c_str());
}

void StderrAndSyslogLogger::log(Severity severity, std::string_view message) {
    m_stderr.log(severity, message);
    if (severity != Severity::debug) {
        m_syslog.log(severity, message);
    }
}

}  // namespace otpgate::core
