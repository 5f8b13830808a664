// Time and waiting are injected so tests never sleep and can step the clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace otpgate::core {

class Clock {
public:
    virtual ~Clock() = default;
    // Seconds since the Unix epoch.
    [[nodiscard]] virtual std::int64_t now() const = 0;
    // Waits between failed attempts; tests record instead of waiting.
    virtual void sleep_for(std::chrono::milliseconds duration) const = 0;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] std::int64_t now() const override;
    void sleep_for(std::chrono::milliseconds duration) const override;
};

}  // namespace otpgate::core
