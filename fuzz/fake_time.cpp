// Wrappers for time(), std::chrono::steady_clock::now() and nanosleep():
// see fake_time.hpp; listed in fuzz/CMakeLists.txt with the others.
#include "fake_time.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>

namespace otpgate::fuzz {
namespace {

ClockPlan g_plan;
bool g_armed = false;
unsigned g_calls = 0;
ObservedTimes g_observed;
std::chrono::steady_clock::time_point g_monotonic;

}  // namespace

void arm_clock(const ClockPlan& plan) {
    g_plan = plan;
    g_calls = 0;
    g_observed = {plan.start, plan.start};
    g_monotonic = std::chrono::steady_clock::now();
    g_armed = true;
}

void disarm_clock() {
    g_armed = false;
}

std::int64_t fake_now() {
    const bool jumped = g_plan.jump_at != 0 && g_calls >= g_plan.jump_at;
    return jumped ? g_plan.start + g_plan.jump_by : g_plan.start;
}

ObservedTimes observed_times() {
    return g_observed;
}

}  // namespace otpgate::fuzz

namespace fuzz = otpgate::fuzz;
using SteadyTimePoint = std::chrono::steady_clock::time_point;

// std::chrono::steady_clock::now(), which libstdc++ defines out of line: a
// C++ function, named for the linker by its mangled name.
SteadyTimePoint real_steady_now() noexcept asm("__real__ZNSt6chrono3_V212steady_clock3nowEv");
SteadyTimePoint wrapped_steady_now() noexcept asm("__wrap__ZNSt6chrono3_V212steady_clock3nowEv");

SteadyTimePoint wrapped_steady_now() noexcept {
    return fuzz::g_armed ? fuzz::g_monotonic : real_steady_now();
}

extern "C" {

time_t __real_time(time_t* out);
int __real_nanosleep(const struct timespec* duration, struct timespec* remaining);

time_t __wrap_time(time_t* out) {
    if (!fuzz::g_armed) {
        return __real_time(out);
    }
    ++fuzz::g_calls;
    const std::int64_t now = fuzz::fake_now();
    fuzz::g_observed.earliest = std::min(fuzz::g_observed.earliest, now);
    fuzz::g_observed.latest = std::max(fuzz::g_observed.latest, now);
    if (out != nullptr) {
        *out = static_cast<time_t>(now);
    }
    return static_cast<time_t>(now);
}

int __wrap_nanosleep(const struct timespec* duration, struct timespec* remaining) {
    if (!fuzz::g_armed) {
        return __real_nanosleep(duration, remaining);
    }
    fuzz::g_monotonic +=
        std::chrono::seconds(duration->tv_sec) + std::chrono::nanoseconds(duration->tv_nsec);
    return 0;
}

}  // extern "C"
