// Core log lines go to the system log through pam_syslog, which tags them
// with the service name and never opens a console (no openlog in a module).
#pragma once

#include <security/pam_modules.h>

#include <string>

#include "otpgate/core/system/logger.hpp"

namespace otpgate::pam {

class PamLogger final : public core::Logger {
public:
    explicit PamLogger(pam_handle_t* pamh);

private:
    void write(core::Severity severity, std::string_view line) override;

    pam_handle_t* m_pamh;
    // "; rhost=203.0.113.7" when the application names the remote host, so
    // that failures can be traced (and fed to fail2ban) like pam_unix's.
    std::string m_suffix;
};

}  // namespace otpgate::pam
