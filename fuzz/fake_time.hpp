// The clocks the login target controls (fuzz_login.cpp): the wall clock the
// module reads with time() (its Clock, the outbox's timestamps) and the
// monotonic clock and sleeps of lock waits, through the same linker
// wrappers as fault_injection.hpp. While armed, time() returns the input's
// time and may jump once; sleeping advances a virtual monotonic clock at
// once, so a lock wait runs to its deadline without taking real time and
// a hang is a real loop, which libFuzzer's -timeout reports.
#pragma once

#include <cstdint>

namespace otpgate::fuzz {

struct ClockPlan {
    std::int64_t start = 0;    // what time() returns first (Unix seconds)
    unsigned jump_at = 0;      // from this call of time() on (1-based; 0: never) ...
    std::int64_t jump_by = 0;  // ... it returns start + jump_by
};

void arm_clock(const ClockPlan& plan);
void disarm_clock();

// What time() returns now, without counting a call: for the conversation,
// which types the code of the moment the module asks.
std::int64_t fake_now();

// The earliest and latest times time() returned since the clock was armed
// (both `start` when it was never called).
struct ObservedTimes {
    std::int64_t earliest = 0;
    std::int64_t latest = 0;
};
ObservedTimes observed_times();

}  // namespace otpgate::fuzz
