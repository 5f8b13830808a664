// Core log lines go to the system log through pam_syslog, which tags them
// with the service name and never opens a console (no openlog in a module).
#pragma once

#include <security/pam_modules.h>

#include "otpgate/core/logger.hpp"

namespace otpgate::pam {

class PamLogger final : public core::Logger {
public:
    explicit PamLogger(pam_handle_t* pamh) : m_pamh(pamh) {}
    void log(core::Severity severity, std::string_view message) override;

private:
    pam_handle_t* m_pamh;
};

}  // namespace otpgate::pam
