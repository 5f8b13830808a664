// Logging to the system log's auth facility from a program of our own (the
// otpgate command and its set-uid helper). The module logs through
// pam_syslog instead and never calls openlog.
#pragma once

#include <string>

#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

// LOG_AUTHPRIV with the program's name and pid. No LOG_CONS: with no
// syslog daemon a line is dropped rather than written to the console.
class SyslogLogger final : public Logger {
public:
    explicit SyslogLogger(std::string identity);
    ~SyslogLogger() override;
    SyslogLogger(const SyslogLogger&) = delete;
    SyslogLogger& operator=(const SyslogLogger&) = delete;

private:
    void write(Severity severity, std::string_view line) override;

    std::string m_identity;  // openlog keeps the pointer
};

// What a person at the terminal should see goes to stderr; what an
// administrator audits (changes, refusals) also goes to the auth log.
class StderrAndSyslogLogger final : public Logger {
public:
    StderrAndSyslogLogger(std::string stderr_prefix, std::string syslog_identity)
        : m_stderr(std::move(stderr_prefix)), m_syslog(std::move(syslog_identity)) {}

private:
    void write(Severity severity, std::string_view line) override;

    StderrLogger m_stderr;
    SyslogLogger m_syslog;
};

}  // namespace otpgate::core
