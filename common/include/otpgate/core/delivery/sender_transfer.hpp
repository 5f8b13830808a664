// What the senders take from transport/ and give back in their own terms:
// the transfer limits the config sets, and what a gateway's HTTP status
// means for a message.
#pragma once

#include "otpgate/core/delivery/delivery_config.hpp"
#include "otpgate/core/delivery/message.hpp"
#include "otpgate/core/transport/curl_transfer.hpp"

namespace otpgate::core {

// delivery_timeout_ms, delivery_connect_timeout_ms (never past the first),
// tls_ca_file and tls_ca_path.
TransferSettings transfer_settings(const DeliveryConfig& config);

// "gateway answered HTTP 503" and friends: delivered for 2xx only.
// A 3xx is reported as a redirect that is not followed.
DeliveryResult judge_http_status(long status);

}  // namespace otpgate::core
