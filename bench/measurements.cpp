#include "measurements.hpp"

#include <fcntl.h>
#include <security/pam_appl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <thread>

#include "login_cycle.hpp"
#include "totp_code.hpp"

namespace otpgate::bench {
namespace {

using Clock = std::chrono::steady_clock;

void note(PathFigures& figures, const char* path, const BenchUser& user, const LoginResult& got) {
    ++figures.unexpected;
    if (figures.first_unexpected.empty()) {
        figures.first_unexpected =
            std::string(path) + " for " + user.name + ": start " + std::to_string(got.start_rc) +
            ", auth " + std::to_string(got.auth_rc) + " (" + pam_strerror(nullptr, got.auth_rc) +
            "), prompts " + std::to_string(got.prompts);
    }
}

bool refused(const LoginResult& got) {
    return got.start_rc == PAM_SUCCESS && got.auth_rc == PAM_AUTH_ERR && got.prompts == 1;
}

void wait_for_children(const std::vector<pid_t>& children, std::vector<int>* codes) {
    for (const pid_t child : children) {
        int status = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        if (codes != nullptr) {
            codes->push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 255);
        }
    }
}

// Untimed: a login with step S-1, so that the timed one updates a state.
LoginResult prepare(const World& world, const Target& target, const BenchUser& user,
                    std::int64_t step) {
    return run_login(request_for(world, target, user, step - 1));
}

bool prepared(const World& world, const Target& target, const BenchUser& user, std::int64_t step) {
    return prepare(world, target, user, step).auth_rc == PAM_SUCCESS;
}

}  // namespace

LoginRequest request_for(const World& world, const Target& target, const BenchUser& user,
                         std::int64_t step) {
    return LoginRequest{world.confdir(), target.service, user.name, Typing{&user.secret, step, {}}};
}

// A code that matches none of the steps S-1..S+1.
std::string wrong_code(const BenchUser& user, std::int64_t step) {
    for (std::int64_t far = step + 1000;; ++far) {
        const std::string candidate = totp_code(user.secret, far);
        bool valid = false;
        for (std::int64_t near = step - 1; near <= step + 1; ++near) {
            valid = valid || candidate == totp_code(user.secret, near);
        }
        if (!valid) {
            return candidate;
        }
    }
}

double median(std::vector<double> values) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const std::size_t middle = values.size() / 2;
    return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

void wait_for_room(int seconds) {
    for (;;) {
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        const double into =
            static_cast<double>(now.tv_sec % totp_period) + static_cast<double>(now.tv_nsec) / 1e9;
        const double left = static_cast<double>(totp_period) - into;
        if (left >= seconds) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(left + 0.05));
    }
}

void wait_for_next_step() {
    const std::int64_t step = current_step();
    while (current_step() == step) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::vector<PathFigures> measure_paths(const World& world, const std::vector<Target>& targets,
                                       std::size_t first_user, std::size_t per_repeat,
                                       unsigned repeats) {
    std::vector<PathFigures> figures(targets.size());
    std::vector<std::vector<double>> success(targets.size());
    std::vector<std::vector<double>> replay(targets.size());
    std::vector<std::vector<double>> wrong(targets.size());
    for (unsigned repeat = 0; repeat < repeats; ++repeat) {
        const std::size_t begin = first_user + repeat * per_repeat;
        if (begin + per_repeat > world.users().size()) {
            throw std::runtime_error("not enough users for the repeats");
        }
        for (std::size_t t = 0; t < targets.size(); ++t) {
            const Target& target = targets[t];
            PathFigures& out = figures[t];
            wait_for_room(12);
            const std::int64_t step = current_step();
            for (std::size_t u = begin; u < begin + per_repeat; ++u) {
                const auto got = prepare(world, target, world.users()[u], step);
                if (got.auth_rc != PAM_SUCCESS) {
                    note(out, "preparing login", world.users()[u], got);
                }
            }
            double total[3] = {0, 0, 0};
            for (std::size_t u = begin; u < begin + per_repeat; ++u) {
                const BenchUser& user = world.users()[u];
                const auto ok = run_login(request_for(world, target, user, step));
                total[0] += ok.micros;
                if (ok.auth_rc != PAM_SUCCESS) {
                    note(out, "success path", user, ok);
                }
            }
            for (std::size_t u = begin; u < begin + per_repeat; ++u) {
                const BenchUser& user = world.users()[u];
                const auto again = run_login(request_for(world, target, user, step));
                total[1] += again.micros;
                if (!refused(again)) {
                    note(out, "replay", user, again);
                }
            }
            for (std::size_t u = begin; u < begin + per_repeat; ++u) {
                const BenchUser& user = world.users()[u];
                LoginRequest request = request_for(world, target, user, step);
                request.typing = Typing{nullptr, 0, wrong_code(user, step)};
                const auto bad = run_login(request);
                total[2] += bad.micros;
                if (!refused(bad)) {
                    note(out, "wrong code", user, bad);
                }
            }
            const auto n = static_cast<double>(per_repeat);
            success[t].push_back(total[0] / n);
            replay[t].push_back(total[1] / n);
            wrong[t].push_back(total[2] / n);
            out.logins += static_cast<unsigned>(3 * per_repeat);
        }
    }
    for (std::size_t t = 0; t < targets.size(); ++t) {
        figures[t].success_us = median(success[t]);
        figures[t].replay_us = median(replay[t]);
        figures[t].wrong_us = median(wrong[t]);
    }
    return figures;
}

namespace {

// A system call a trace shows and that does nothing: marks where a login
// begins and ends in `strace -f` output.
void mark(const std::string& text) {
    const ssize_t ignored = write(-1, text.data(), text.size());
    static_cast<void>(ignored);
}

}  // namespace

int trace_paths(const World& world, const Target& target, unsigned logins) {
    int unexpected = 0;
    std::vector<double> micros[3];
    std::vector<double> cpu[3];
    // Time for `perf record -p` to attach once the world is made.
    std::printf("trace: ready, pid %d\n", static_cast<int>(getpid()));
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(2));
    wait_for_room(std::min(25, 5 + static_cast<int>(logins / 100)));
    const std::int64_t step = current_step();
    for (unsigned i = 0; i < logins && i < world.users().size(); ++i) {
        const BenchUser& user = world.users()[i];
        unexpected += prepare(world, target, user, step).auth_rc == PAM_SUCCESS ? 0 : 1;
        mark("MARK success begin");
        const auto ok = run_login(request_for(world, target, user, step));
        mark("MARK success end");
        mark("MARK replay begin");
        const auto again = run_login(request_for(world, target, user, step));
        mark("MARK replay end");
        LoginRequest request = request_for(world, target, user, step);
        request.typing = Typing{nullptr, 0, wrong_code(user, step)};
        mark("MARK wrong begin");
        const auto bad = run_login(request);
        mark("MARK wrong end");
        unexpected +=
            (ok.auth_rc == PAM_SUCCESS ? 0 : 1) + (refused(again) ? 0 : 1) + (refused(bad) ? 0 : 1);
        micros[0].push_back(ok.micros);
        micros[1].push_back(again.micros);
        micros[2].push_back(bad.micros);
        cpu[0].push_back(ok.cpu_micros);
        cpu[1].push_back(again.cpu_micros);
        cpu[2].push_back(bad.cpu_micros);
    }
    std::printf("trace: done\n");
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const char* names[3] = {"success", "replay", "wrong"};
    for (int path = 0; path < 3; ++path) {
        std::vector<double>& values = micros[path];
        std::sort(values.begin(), values.end());
        if (!values.empty()) {
            std::printf(
                "  %-8s median %6.0f µs, tenth %6.0f µs, fastest %6.0f µs; CPU median %6.1f µs\n",
                names[path], median(values), values[values.size() / 10], values.front(),
                median(cpu[path]));
        }
    }
    std::printf("trace: %u users of %s, %d unexpected results\n", logins, target.service.c_str(),
                unexpected);
    return unexpected == 0 ? 0 : 1;
}

double lone_success_micros(const World& world, const Target& target, std::size_t first_user,
                           std::size_t per_repeat, unsigned repeats) {
    std::vector<double> means;
    for (unsigned repeat = 0; repeat < repeats; ++repeat) {
        wait_for_room(12);
        const std::int64_t next_step = current_step() + 1;
        double total = 0;
        for (std::size_t u = 0; u < per_repeat; ++u) {
            const BenchUser& user = world.users().at(first_user + repeat * per_repeat + u);
            world.age_replay_fence();
            const auto ok = run_login(request_for(world, target, user, next_step));
            if (ok.auth_rc != PAM_SUCCESS) {
                throw std::runtime_error("lone login of " + user.name +
                                         " failed: " + pam_strerror(nullptr, ok.auth_rc));
            }
            total += ok.micros;
        }
        means.push_back(total / static_cast<double>(per_repeat));
    }
    return median(means);
}

double libpam_alone_micros(const World& world, std::size_t per_repeat, unsigned repeats) {
    const Target permit{"pam_permit", "permit"};
    std::vector<double> means;
    for (unsigned repeat = 0; repeat < repeats; ++repeat) {
        double total = 0;
        for (std::size_t u = 0; u < per_repeat; ++u) {
            const BenchUser& user = world.users()[u % world.users().size()];
            total += run_login(request_for(world, permit, user, 0)).micros;
        }
        means.push_back(total / static_cast<double>(per_repeat));
    }
    return median(means);
}

unsigned race_once(const World& world, const Target& target, const BenchUser& user,
                   unsigned racers) {
    wait_for_room(8);
    const std::int64_t step = current_step();
    if (!prepared(world, target, user, step)) {
        throw std::runtime_error("preparing login failed for " + user.name + " on " + target.label);
    }
    int ready[2];
    int release[2];
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(release, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    std::vector<pid_t> children;
    for (unsigned i = 0; i < racers; ++i) {
        const pid_t child = fork();
        if (child == 0) {
            ::close(ready[0]);
            ::close(release[1]);
            PendingLogin login(request_for(world, target, user, step));
            const char byte = login.started() ? 'r' : 'x';
            static_cast<void>(::write(ready[1], &byte, 1));
            char ignored = 0;
            while (::read(release[0], &ignored, 1) < 0 && errno == EINTR) {
            }
            const int rc = login.authenticate();
            _exit(rc == PAM_SUCCESS ? 0 : 1);
        }
        if (child < 0) {
            throw std::runtime_error("fork failed");
        }
        children.push_back(child);
    }
    ::close(ready[1]);
    ::close(release[0]);
    for (unsigned got = 0; got < racers;) {
        char byte = 0;
        const ssize_t n = ::read(ready[0], &byte, 1);
        if (n == 0) {
            break;
        }
        if (n > 0) {
            ++got;
        }
    }
    ::close(release[1]);  // the starting gun: every child's read returns at once
    ::close(ready[0]);
    std::vector<int> codes;
    wait_for_children(children, &codes);
    return static_cast<unsigned>(std::count(codes.begin(), codes.end(), 0));
}

namespace {

// Wall seconds of `processes` forked processes released at once, process p
// logging in user_of(first_lane + p, i) for i < per_process with the code
// of `step`; throws if any login fails.
template <typename UserOf>
double timed_parallel_logins(const World& world, const Target& target, const UserOf& user_of,
                             std::size_t per_process, unsigned processes, unsigned first_lane,
                             std::int64_t step) {
    int release[2];
    if (pipe2(release, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    std::vector<pid_t> children;
    for (unsigned p = 0; p < processes; ++p) {
        const pid_t child = fork();
        if (child == 0) {
            ::close(release[1]);
            char ignored = 0;
            while (::read(release[0], &ignored, 1) < 0 && errno == EINTR) {
            }
            int failures = 0;
            for (std::size_t i = 0; i < per_process; ++i) {
                const auto got =
                    run_login(request_for(world, target, user_of(first_lane + p, i), step));
                failures += got.auth_rc == PAM_SUCCESS ? 0 : 1;
            }
            _exit(failures == 0 ? 0 : 1);
        }
        children.push_back(child);
    }
    ::close(release[0]);
    const auto begin = Clock::now();
    ::close(release[1]);
    std::vector<int> codes;
    wait_for_children(children, &codes);
    const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    if (std::any_of(codes.begin(), codes.end(), [](int code) { return code != 0; })) {
        throw std::runtime_error("a parallel login failed on " + target.label);
    }
    return seconds;
}

}  // namespace

ParallelFigures parallel_throughputs(const World& world, const Target& target,
                                     std::size_t pool_first, std::size_t per_process) {
    if (pool_first + parallel_lanes * per_process > world.users().size()) {
        throw std::runtime_error("not enough users for the parallel run");
    }
    // Lane l is every parallel_lanes-th user of the pool from the l-th on:
    // one process takes lane 0, two take lanes 1 and 2, so both look up
    // users at the same average place in /etc/passwd, which files NSS
    // reads from the top (a later user costs more).
    const auto user_of = [&](unsigned lane, std::size_t i) -> const BenchUser& {
        return world.users()[pool_first + i * parallel_lanes + lane];
    };
    wait_for_room(20);
    const std::int64_t step = current_step();
    for (unsigned lane = 0; lane < parallel_lanes; ++lane) {
        for (std::size_t i = 0; i < per_process; ++i) {
            if (!prepared(world, target, user_of(lane, i), step)) {
                throw std::runtime_error("preparing login failed for " + user_of(lane, i).name);
            }
        }
    }
    // Two rounds: every user's code of step S, then of S+1 (the window's
    // next step, a first use too), so each count runs twice as long; the
    // second round swaps the order, so that neither count always goes first.
    double one = timed_parallel_logins(world, target, user_of, per_process, 1, 0, step);
    double two = timed_parallel_logins(world, target, user_of, per_process, 2, 1, step);
    two += timed_parallel_logins(world, target, user_of, per_process, 2, 1, step + 1);
    one += timed_parallel_logins(world, target, user_of, per_process, 1, 0, step + 1);
    const auto logins = static_cast<double>(2 * per_process);
    return {logins / one, 2 * logins / two};
}

double cpu_control_throughput(unsigned processes) {
    constexpr int units = 200000;
    int release[2];
    if (pipe2(release, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    std::vector<pid_t> children;
    for (unsigned p = 0; p < processes; ++p) {
        const pid_t child = fork();
        if (child == 0) {
            ::close(release[1]);
            char ignored = 0;
            while (::read(release[0], &ignored, 1) < 0 && errno == EINTR) {
            }
            const std::vector<std::uint8_t> secret(20, 7);
            unsigned sink = 0;
            for (int i = 0; i < units; ++i) {
                sink += static_cast<unsigned>(totp_code(secret, i)[0]);
            }
            _exit(sink == 0 ? 1 : 0);
        }
        children.push_back(child);
    }
    ::close(release[0]);
    const auto begin = Clock::now();
    ::close(release[1]);
    wait_for_children(children, nullptr);
    const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    return static_cast<double>(units) * processes / seconds;
}

MixTally login_mix(const World& world, const Target& target, std::size_t first_user,
                   std::size_t users, unsigned logins) {
    MixTally tally;
    if (first_user + users > world.users().size()) {
        throw std::runtime_error("not enough users for the mixed logins");
    }
    for (unsigned i = 0; i < logins; ++i) {
        const BenchUser& user = world.users()[first_user + i % users];
        const std::int64_t step = current_step();
        LoginRequest request = request_for(world, target, user, step);
        if (target.service == "otpgate" && i % 8 != 7) {
            request.service = "otpgate-nolock";  // 1 in 8 with lockouts on
        }
        switch (i % 4) {
            case 0:  // the current code: a success once per step, then a replay
            case 2: break;
            case 1: request.typing = Typing{nullptr, 0, wrong_code(user, step)}; break;
            default:
                request.typing = Typing{nullptr, 0, i % 8 == 3 ? "12a4\x01" : "1234567890"};
                break;
        }
        const auto got = run_login(request);
        if (got.auth_rc == PAM_SUCCESS) {
            ++tally.success;
        } else if (got.auth_rc == PAM_AUTH_ERR) {
            ++tally.refused;
        } else {
            ++tally.other;
        }
    }
    return tally;
}

double hanging_gateway_login_ms(const World& world, const BenchUser& user) {
    const LoginRequest request{world.confdir(), "otpgate-sms", user.name,
                               Typing{nullptr, 0, "123456"}};
    return run_login(request).micros / 1000.0;
}

}  // namespace otpgate::bench
