// The machine's name, as people see it in messages and authenticator apps.
#pragma once

#include <string>

namespace otpgate::core {

// gethostname(), made safe (safe_text.hpp), at most 64 bytes; "otpgate" when unknown.
std::string host_name();

}  // namespace otpgate::core
