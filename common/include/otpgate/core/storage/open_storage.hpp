// The store the configuration names. Only the files exist today; each new
// store is one more case here, and nothing else changes for the login
// flows, the otpgate command or otpgate-verify.
#pragma once

#include <memory>

#include "otpgate/core/config/config.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/storage/storage.hpp"
#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

// Touches nothing yet (a store is opened at its first use), so a command
// that reads no state never fails here. `logger` must outlive the storage.
Result<std::unique_ptr<Storage>> open_storage(const Config& config, Logger& logger);

}  // namespace otpgate::core
