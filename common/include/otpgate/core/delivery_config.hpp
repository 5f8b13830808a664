// Settings of the message delivery backends (SMS and email providers).
// Parsed by the same parser as every other key (see config_setters.hpp).
#pragma once

namespace otpgate::core {

struct DeliveryConfig {};

}  // namespace otpgate::core
