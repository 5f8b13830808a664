// The store the configuration names (`store`): today the files of this
// host, with enrollments in the users' files or in root's state directory.
// Each new store is one more case here, and nothing else changes for the
// login flows, the otpgate command or otpgate-verify.
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
