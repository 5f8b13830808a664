#include "otpgate/core/logger.hpp"

#include <cstdio>

namespace otpgate::core {

void StderrLogger::log(Severity severity, std::string_view message) {
    const char* label = "";
    switch (severity) {
        case Severity::error: label = "error: "; break;
        case Severity::warning: label = "warning: "; break;
        case Severity::debug: label = "debug: "; break;
        case Severity::notice:
        case Severity::info: break;
    }
    std::fprintf(stderr, "%s: %s%.*s\n", m_prefix.c_str(), label, static_cast<int>(message.size()),
                 message.data());
}

}  // namespace otpgate::core
