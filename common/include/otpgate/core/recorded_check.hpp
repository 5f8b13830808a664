// Checking a typed TOTP or backup code against the user's state and
// recording it, all under the state lock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "otpgate/core/config.hpp"
#include "otpgate/core/enrollment.hpp"
#include "otpgate/core/logger.hpp"

namespace otpgate::core {

enum class AttemptResult { accepted, rejected, unavailable };

// Locked from read to write, so that of many logins racing with one code
// exactly one sees it unused; never held while prompting. Logs the
// verdict (never the code). A valid code that cannot be recorded is
// refused: unrecorded, it could be used again.
AttemptResult check_and_record(const std::string& user_name, const Enrollment& enrollment,
                               std::string_view digits, const Config& config, Logger& logger,
                               std::int64_t now);

}  // namespace otpgate::core
