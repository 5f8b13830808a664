#include "otpgate/core/delivery_config.hpp"

#include "otpgate/core/config.hpp"
#include "otpgate/core/config_setters.hpp"

namespace otpgate::core {

void add_delivery_settings(SetterTable& /*table*/) {}

}  // namespace otpgate::core
