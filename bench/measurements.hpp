// What the benchmark measures; each function runs logins through real
// libpam and returns figures (main.cpp prints them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_world.hpp"
#include "login_cycle.hpp"

namespace otpgate::bench {

// One column of the table: a PAM service (in the world's pam.d) that
// stacks one module.
struct Target {
    std::string label;
    std::string service;
};

// The login of `user` through `target` typing the code of `step`.
LoginRequest request_for(const World& world, const Target& target, const BenchUser& user,
                         std::int64_t step);

// A code of `user` that matches none of the steps `step`-1..`step`+1.
std::string wrong_code(const BenchUser& user, std::int64_t step);

struct PathFigures {
    double success_us = 0;  // median over repeats of the mean µs per login
    double replay_us = 0;
    double wrong_us = 0;
    unsigned logins = 0;
    unsigned unexpected = 0;  // logins whose PAM result was not the expected one
    std::string first_unexpected;
};

// For each repeat, the next `per_repeat` users of `world` (shared by all
// targets: each module keeps its own state) log in once with the code of
// step S-1 (untimed: every module then has a state to update), then, timed:
// with the code of step S (success), the same code again (replay), a
// wrong code. Targets take turns within each repeat.
std::vector<PathFigures> measure_paths(const World& world, const std::vector<Target>& targets,
                                       std::size_t first_user, std::size_t per_repeat,
                                       unsigned repeats);

// For strace: `logins` users of `target` each log in with the code of S-1,
// then with the code of S, the same again and a wrong code, each of the
// three between write(-1, "MARK <path> begin|end") calls that a trace
// shows. Returns 0 when every result was the expected one.
int trace_paths(const World& world, const Target& target, unsigned logins);

// Our module's success path when every login flushes the replay fence, as
// on a host with fewer logins than one per TOTP step: before each login
// (untimed) the fence is aged. Users from `first_user` on, already past
// measure_paths, log in with the code of the step after the current one (a
// first use, within the window). Median over repeats of the mean µs.
double lone_success_micros(const World& world, const Target& target, std::size_t first_user,
                           std::size_t per_repeat, unsigned repeats);

// µs per login through a service that stacks only pam_permit.so: the part
// of every figure that is libpam's, not the module's. Median of repeats.
double libpam_alone_micros(const World& world, std::size_t per_repeat, unsigned repeats);

// `racers` processes with one user's current code each, released at once
// after pam_start. Returns how many succeeded.
unsigned race_once(const World& world, const Target& target, const BenchUser& user,
                   unsigned racers);

// Success logins per second of 1 and of 2 processes, each process logging
// in its own `per_process` users twice (codes of steps S and S+1, after an
// untimed S-1 login), from a pool of parallel_lanes * per_process users
// from `pool_first` on.
inline constexpr unsigned parallel_lanes = 3;
struct ParallelFigures {
    double one_process = 0;
    double two_processes = 0;
};
ParallelFigures parallel_throughputs(const World& world, const Target& target,
                                     std::size_t pool_first, std::size_t per_process);

// Work units per second of `processes` processes that only compute HMACs:
// how well this machine, as loaded right now, runs two processes at once.
double cpu_control_throughput(unsigned processes);

// A mix over `users` users from `first_user` on: the current code (a success
// once per user and step, then a replay), a wrong code, a malformed answer
// and a 10-digit one (looked up among the backup codes). For our module
// 7 in 8 logins go through a service without lockout, so that codes keep
// being checked. Returns the tally.
struct MixTally {
    unsigned success = 0;
    unsigned refused = 0;
    unsigned other = 0;
};
MixTally login_mix(const World& world, const Target& target, std::size_t first_user,
                   std::size_t users, unsigned logins);

// Wall time of one login of an SMS user whose gateway never answers.
double hanging_gateway_login_ms(const World& world, const BenchUser& user);

// Blocks until at least `seconds` remain in the current TOTP step.
void wait_for_room(int seconds);

// Sleeps until a new TOTP step begins (at most one period), so that every
// user's current code is unused again.
void wait_for_next_step();

double median(std::vector<double> values);

}  // namespace otpgate::bench
