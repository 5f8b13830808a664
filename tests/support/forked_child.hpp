// A piece of a test run in a forked child, for what must not touch the
// test process: identity switches, resource limits. Used by tests/unit and
// tests/delivery.
#pragma once

#include <functional>

namespace otpgate::test {

// Runs `body` in a forked child and returns its exit code (-1 when it did
// not exit normally, for a signal; 98 when `body` threw). The child never
// returns into GoogleTest.
int run_in_child(const std::function<int()>& body);

}  // namespace otpgate::test
