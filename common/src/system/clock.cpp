#include "otpgate/core/system/clock.hpp"

#include <ctime>
#include <thread>

namespace otpgate::core {

std::int64_t SystemClock::now() const {
    return static_cast<std::int64_t>(std::time(nullptr));
}

void SystemClock::sleep_for(std::chrono::milliseconds duration) const {
    std::this_thread::sleep_for(duration);
}

}  // namespace otpgate::core
