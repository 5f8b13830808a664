#include "otpgate/core/delivery/sender_transfer.hpp"

#include <algorithm>
#include <string>

namespace otpgate::core {

TransferSettings transfer_settings(const DeliveryConfig& config) {
    TransferSettings settings;
    settings.timeout_ms = config.timeout_ms;
    settings.connect_timeout_ms = std::min(config.connect_timeout_ms, config.timeout_ms);
    settings.ca_file = config.tls_ca_file;
    settings.ca_path = config.tls_ca_path;
    return settings;
}

DeliveryResult judge_http_status(long status) {
    const std::string answered = "gateway answered HTTP " + std::to_string(status);
    if (status >= 200 && status <= 299) {
        return {true, answered};
    }
    if (status >= 300 && status <= 399) {
        return {false, answered + " (a redirect; redirects are not followed)"};
    }
    return {false, answered};
}

}  // namespace otpgate::core
