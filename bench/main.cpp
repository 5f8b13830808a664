// otpgate_bench: pam_otpgate.so, pam_google_authenticator.so and
// pam_oath.so through real libpam, side by side. See README.md.
//
//   otpgate_bench --module PATH --enroll-tool PATH [--mode full|smoke|logins]
//
// full:   the table of bench/README.md (takes a few minutes).
// smoke:  a few logins of our module per path, checking PAM results and
//         that TOTP logins leave libcurl unloaded (the ctest); exit 1 on
//         any unexpected result.
// logins: --logins N logins of one service (--service, default otpgate),
//         for valgrind and profilers.
// parallel: only the different-users throughput (on a tmpfs unless
//         --no-tmpfs).
// paths:  only the success, replay and wrong-code rows and libpam alone,
//         on disk and on a tmpfs (unless --no-tmpfs): for repeated runs.
// trace:  for strace: one user of --service logs in with the code of S-1
//         (untimed), then, each between write(-1, "MARK <path>") calls,
//         with the code of S, the same again and a wrong code, --logins
//         times (each time a new user).
// Needs root (a private mount namespace); exits 77 (skipped) otherwise.
#include <malloc.h>
#include <security/pam_appl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_world.hpp"
#include "login_cycle.hpp"
#include "measurements.hpp"
#include "totp_code.hpp"

namespace otpgate::bench {
namespace {

namespace fs = std::filesystem;

struct Options {
    std::string mode = "full";
    ModulePaths modules;
    std::string enroll_tool;
    std::string service = "otpgate";  // for --mode logins
    fs::path scratch = "/var/tmp/otpgate-bench";
    std::size_t per_repeat = 100;
    unsigned repeats = 5;
    unsigned racers = 40;
    unsigned trials = 50;
    std::size_t parallel_users = 200;
    unsigned logins = 1000;
    unsigned memory_logins = 10000;
    unsigned sms_timeout_ms = 1000;
    bool tmpfs = true;
};

Options parse(int argc, char** argv) {
    Options options;
#ifdef OTPGATE_BENCH_GOOGLE
    options.modules.google = OTPGATE_BENCH_GOOGLE;
#endif
#ifdef OTPGATE_BENCH_OATH
    options.modules.oath = OTPGATE_BENCH_OATH;
#endif
    const std::map<std::string, std::string*> texts = {{"--mode", &options.mode},
                                                       {"--module", &options.modules.otpgate},
                                                       {"--google", &options.modules.google},
                                                       {"--oath", &options.modules.oath},
                                                       {"--enroll-tool", &options.enroll_tool},
                                                       {"--service", &options.service}};
    const std::map<std::string, unsigned*> numbers = {
        {"--repeats", &options.repeats},
        {"--racers", &options.racers},
        {"--trials", &options.trials},
        {"--logins", &options.logins},
        {"--memory-logins", &options.memory_logins},
        {"--sms-timeout-ms", &options.sms_timeout_ms}};
    for (int i = 1; i < argc; ++i) {
        const std::string key = argv[i];
        if (key == "--no-tmpfs") {
            options.tmpfs = false;
            continue;
        }
        if (i + 1 >= argc) {
            throw std::invalid_argument("missing value after " + key);
        }
        const std::string value = argv[++i];
        if (auto text = texts.find(key); text != texts.end()) {
            *text->second = value;
        } else if (auto number = numbers.find(key); number != numbers.end()) {
            *number->second = static_cast<unsigned>(std::stoul(value));
        } else if (key == "--per-repeat") {
            options.per_repeat = std::stoul(value);
        } else if (key == "--parallel-users") {
            options.parallel_users = std::stoul(value);
        } else if (key == "--scratch") {
            options.scratch = value;
        } else {
            throw std::invalid_argument("unknown option " + key);
        }
    }
    if (options.modules.otpgate.empty() || options.enroll_tool.empty()) {
        throw std::invalid_argument("--module and --enroll-tool are required");
    }
    for (std::string* path : {&options.modules.google, &options.modules.oath}) {
        if (!path->empty() && !fs::exists(*path)) {
            std::cout << "note: " << *path << " is not installed; its column is skipped\n";
            path->clear();
        }
    }
    return options;
}

std::string fixed(double value, int decimals = 0) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string cell(double micros) {
    if (micros <= 0) {
        return "-";
    }
    return fixed(micros) + " µs (" + fixed(1e6 / micros) + "/s)";
}

void print_row(const std::string& label, const std::vector<std::string>& cells) {
    std::printf("  %-34s", label.c_str());
    for (const auto& text : cells) {
        // Widths count bytes; "µ" is two.
        std::printf(" %-24s", text.c_str());
    }
    std::printf("\n");
}

// Faster other divided by ours: above 1 means ours is faster.
std::string ratio(const std::vector<double>& micros) {
    double best_other = 0;
    for (std::size_t i = 1; i < micros.size(); ++i) {
        if (micros[i] > 0 && (best_other == 0 || micros[i] < best_other)) {
            best_other = micros[i];
        }
    }
    if (best_other == 0 || micros[0] <= 0) {
        return "-";
    }
    return fixed(best_other / micros[0], 2) + "x";
}

long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::atol(line.c_str() + 6);
        }
    }
    return -1;
}

// Whether a library whose path contains `name` is mapped into this process.
bool maps_library(const std::string& name) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        if (line.find(name) != std::string::npos) {
            return true;
        }
    }
    return false;
}

// Ours first, with store = files; then ours with store = local (the same
// users and module, the enrollments held by root), then the others.
std::vector<Target> targets_of(const ModulePaths& modules, bool ours_only) {
    std::vector<Target> targets = {{"otpgate", "otpgate"}, {"otpgate local", "otpgate-local"}};
    if (!ours_only && !modules.google.empty()) {
        targets.push_back({"google-authenticator", "google"});
    }
    if (!ours_only && !modules.oath.empty()) {
        targets.push_back({"pam_oath", "oath"});
    }
    return targets;
}

bool is_local_store(const Target& target) {
    return target.service == "otpgate-local";
}

std::vector<std::string> header_of(const std::vector<Target>& targets) {
    std::vector<std::string> header;
    for (const auto& target : targets) {
        header.push_back(target.label);
    }
    header.emplace_back("faster other / ours");
    if (targets.size() > 1 && is_local_store(targets[1])) {
        header.emplace_back("local / files");
    }
    return header;
}

// The figures ratio() compares: ours with store = files, then the others.
std::vector<double> without_local_store(const std::vector<Target>& targets,
                                        const std::vector<double>& values) {
    std::vector<double> kept;
    for (std::size_t t = 0; t < values.size() && t < targets.size(); ++t) {
        if (!is_local_store(targets[t])) {
            kept.push_back(values[t]);
        }
    }
    return kept;
}

// How much longer a login takes with store = local than with files.
std::string local_over_files(const std::vector<Target>& targets,
                             const std::vector<double>& values) {
    if (targets.size() < 2 || !is_local_store(targets[1]) || values.size() < 2 || values[0] <= 0) {
        return "-";
    }
    return fixed(values[1] / values[0], 2) + "x";
}

void print_paths(const std::string& where, const std::vector<Target>& targets,
                 const std::vector<PathFigures>& figures, double libpam_us, double lone_us,
                 bool& all_expected) {
    std::printf("%s\n", where.c_str());
    print_row("", header_of(targets));
    const std::vector<std::pair<std::string, double PathFigures::*>> rows = {
        {"success, replay-protected", &PathFigures::success_us},
        {"replay refused", &PathFigures::replay_us},
        {"wrong code refused", &PathFigures::wrong_us}};
    for (const auto& [label, member] : rows) {
        std::vector<std::string> cells;
        std::vector<double> values;
        for (const auto& figure : figures) {
            cells.push_back(cell(figure.*member));
            values.push_back(figure.*member);
        }
        cells.push_back(ratio(without_local_store(targets, values)));
        cells.push_back(local_over_files(targets, values));
        print_row(label, cells);
    }
    // The same success figures minus what pam_permit.so alone costs.
    std::vector<std::string> cells;
    std::vector<double> values;
    for (const auto& figure : figures) {
        values.push_back(std::max(figure.success_us - libpam_us, 1.0));
        cells.push_back(fixed(values.back()) + " µs");
    }
    cells.push_back(ratio(without_local_store(targets, values)));
    cells.push_back(local_over_files(targets, values));
    print_row("success, minus libpam alone", cells);
    print_row("(libpam alone: pam_permit.so)", {fixed(libpam_us) + " µs"});
    // Ours when each login must flush the replay fence (the others flush at
    // every login anyway): against the others' success row.
    cells = {cell(lone_us)};
    values = {lone_us};
    for (std::size_t t = 1; t < figures.size(); ++t) {
        cells.emplace_back("-");
        values.push_back(figures[t].success_us);
    }
    cells.push_back(ratio(without_local_store(targets, values)));
    print_row("success, each login flushing", cells);
    for (std::size_t t = 0; t < targets.size(); ++t) {
        if (figures[t].unexpected > 0) {
            all_expected = false;
            std::printf("  !! %s: %u of %u logins had an unexpected result; first: %s\n",
                        targets[t].label.c_str(), figures[t].unexpected, figures[t].logins,
                        figures[t].first_unexpected.c_str());
        }
    }
}

void print_module_loads(const Options& options, const std::vector<Target>& targets) {
    std::printf(
        "Module load + unload (dlopen RTLD_NOW + dlclose), median of 20: paid once per\n"
        "new process (each sshd connection, su, sudo); not in the figures below\n");
    std::vector<std::string> cells;
    std::vector<double> values;
    for (const auto& path :
         {options.modules.otpgate, options.modules.google, options.modules.oath}) {
        if (!path.empty()) {
            values.push_back(module_load_micros(path, 20));
            cells.push_back(fixed(values.back()) + " µs");
        }
    }
    cells.push_back(ratio(values));
    std::vector<Target> modules;
    for (const auto& target : targets) {
        if (!is_local_store(target)) {
            modules.push_back(target);
        }
    }
    print_row("", header_of(modules));
    print_row("module load", cells);
}

bool print_races(const World& world, const std::vector<Target>& targets, std::size_t first_user,
                 unsigned racers, unsigned trials) {
    std::printf(
        "\n%u processes released at once, one user and one code: trials with exactly "
        "1 success, of %u\n",
        racers, trials);
    bool ours_exact = true;
    std::vector<std::string> cells;
    for (const auto& target : targets) {
        unsigned exact = 0;
        std::map<unsigned, unsigned> histogram;
        for (unsigned trial = 0; trial < trials; ++trial) {
            const auto& user = world.users()[first_user + trial];
            const unsigned successes = race_once(world, target, user, racers);
            exact += successes == 1 ? 1 : 0;
            ++histogram[successes];
        }
        std::string text = std::to_string(exact) + "/" + std::to_string(trials);
        if (exact != trials) {
            text += " (";
            for (const auto& [successes, times] : histogram) {
                text += std::to_string(times) + "x" + std::to_string(successes) + "ok ";
            }
            text.back() = ')';
        }
        cells.push_back(text);
        const bool ours = target.service == "otpgate" || is_local_store(target);
        ours_exact = ours_exact && (!ours || exact == trials);
    }
    print_row("", header_of(targets));
    print_row("exactly one success", cells);
    return ours_exact;
}

void print_parallel(const World& world, const std::vector<Target>& targets, std::size_t first_user,
                    std::size_t per_process) {
    std::printf(
        "\nDifferent users in parallel, success path: logins/s of 1 and 2 processes "
        "(%zu users each, each user with the codes of two steps)\n",
        per_process);
    print_row("", {"1 process", "2 processes", "2 / 1"});
    // Controls: the same machine at the same moment, without any module.
    const double cpu_one = cpu_control_throughput(1);
    const double cpu_two = cpu_control_throughput(2);
    print_row("(control: HMAC loop, no PAM)",
              {fixed(cpu_one), fixed(cpu_two), fixed(cpu_two / cpu_one, 2) + "x"});
    std::vector<Target> rows = {{"(control: pam_permit.so)", "permit"}};
    rows.insert(rows.end(), targets.begin(), targets.end());
    for (const auto& target : rows) {
        const auto figures = parallel_throughputs(world, target, first_user, per_process);
        const double one = figures.one_process;
        const double two = figures.two_processes;
        print_row(target.label, {fixed(one), fixed(two), fixed(two / one, 2) + "x"});
    }
}

void print_hanging_gateway(const World& world, unsigned timeout_ms) {
    std::printf(
        "\nSMS gateway that accepts and never answers, delivery_timeout_ms=%u: login "
        "wall time\n",
        timeout_ms);
    double worst = 0;
    std::string times;
    for (const auto& user : world.sms_users()) {
        const double ms = hanging_gateway_login_ms(world, user);
        worst = std::max(worst, ms);
        times += fixed(ms) + " ms  ";
    }
    std::printf("  %s-> worst %.0f ms, limit %u ms: %s\n", times.c_str(), worst, timeout_ms + 100,
                worst <= timeout_ms + 100 ? "met" : "MISSED");
}

void print_memory(const World& world, const Target& ours, unsigned logins) {
    std::printf(
        "\nMemory of this process over %u logins of pam_otpgate.so (mixed outcomes), "
        "after 1000 to warm up\n",
        logins);
    // Other users than the warm-up's, in a step none of them has used yet,
    // so that the measured logins include successes, not only replays.
    static_cast<void>(login_mix(world, ours, 0, 300, 1000));
    wait_for_next_step();
    const long rss_before = rss_kib();
    const auto heap_before = mallinfo2().uordblks;
    const auto tally = login_mix(world, ours, 300, 300, logins);
    const long rss_after = rss_kib();
    const auto heap_after = mallinfo2().uordblks;
    std::printf(
        "  RSS %ld -> %ld KiB (%+ld); malloc in use %zu -> %zu bytes (%+ld); "
        "%u succeeded, %u refused, %u other\n",
        rss_before, rss_after, rss_after - rss_before, heap_before, heap_after,
        static_cast<long>(heap_after) - static_cast<long>(heap_before), tally.success,
        tally.refused, tally.other);
}

int run(const Options& options) {
    const bool full = options.mode == "full";
    const bool smoke = options.mode == "smoke";
    const bool logins = options.mode == "logins";
    const bool parallel_only = options.mode == "parallel";
    const bool paths_only = options.mode == "paths";
    const bool trace = options.mode == "trace";
    if (!full && !smoke && !logins && !parallel_only && !paths_only && !trace) {
        throw std::invalid_argument("--mode must be full, smoke, logins, parallel, paths or trace");
    }
    if (geteuid() != 0) {
        std::cout << "skipped: the benchmark needs root (a private mount namespace)\n";
        return 77;
    }
    {
        std::vector<std::uint8_t> oracle_secret(20);
        for (std::size_t i = 0; i < oracle_secret.size(); ++i) {
            oracle_secret[i] = static_cast<std::uint8_t>(i * 37 + 11);
        }
        check_against_oathtool(oracle_secret);
    }

    // Users [0, path_users) for the three paths, then the racers' users
    // (one per trial), then parallel_lanes x parallel_users for the parallel run.
    const std::size_t per_repeat = full || paths_only ? options.per_repeat : 20;
    const unsigned repeats = full || paths_only ? options.repeats : 1;
    const std::size_t path_users = logins ? 100 : trace ? options.logins : per_repeat * repeats;
    const unsigned racers = full ? options.racers : 8;
    const unsigned trials = full ? options.trials : (smoke ? 1 : 0);
    const std::size_t parallel_users = full || parallel_only ? options.parallel_users : 0;
    const std::size_t count = path_users + trials + parallel_lanes * parallel_users;

    fs::remove_all(options.scratch);
    fs::create_directories(options.scratch);
    Cleanup cleanup;
    cleanup.scratch = options.scratch;
    const World world(options.scratch / "world", "b", 41000, count, full ? 3 : 0);
    cleanup.drain = enter_private_namespace(options.scratch, {&world}, options.scratch / "syslog");
    const int sms_port = full ? start_hanging_gateway(cleanup.gateway) : 9;
    world.create(options.modules, options.enroll_tool, sms_port, options.sms_timeout_ms);

    const auto targets = targets_of(options.modules, !full && !parallel_only && !paths_only);
    if (full) {
        std::printf(
            "%zu benchmark users in /etc/passwd (one shared group), TOTP SHA1/6/30 s, "
            "window ±1 step, replay protection on in all three\n\n",
            count);
        print_module_loads(options, targets);
    }
    // From here on every module stays mapped between logins (all alike).
    std::vector<std::unique_ptr<ModuleHold>> holds;
    for (const auto& path :
         {options.modules.otpgate, options.modules.google, options.modules.oath}) {
        if (!path.empty()) {
            holds.push_back(std::make_unique<ModuleHold>(path));
        }
    }

    if (logins) {
        const Target target{options.service, options.service};
        const auto tally = login_mix(world, target, 0, path_users, options.logins);
        std::printf("%u logins through service %s: %u succeeded, %u refused, %u other\n",
                    options.logins, options.service.c_str(), tally.success, tally.refused,
                    tally.other);
        return tally.other == 0 && tally.success > 0 ? 0 : 1;
    }

    if (trace) {
        if (options.tmpfs) {
            mount_tmpfs(world.root());
            cleanup.tmpfs = world.root();
            world.create(options.modules, options.enroll_tool, sms_port, options.sms_timeout_ms);
        }
        return trace_paths(world, Target{options.service, options.service}, options.logins);
    }

    if (parallel_only) {
        if (options.tmpfs) {
            mount_tmpfs(world.root());
            cleanup.tmpfs = world.root();
            world.create(options.modules, options.enroll_tool, sms_port, options.sms_timeout_ms);
        }
        print_parallel(world, targets, path_users + trials, parallel_users);
        return 0;
    }

    bool all_expected = true;
    std::vector<std::string> file_systems = {"disk"};
    if ((full || paths_only) && options.tmpfs) {
        file_systems.emplace_back("tmpfs");
    }
    for (const auto& file_system : file_systems) {
        if (file_system == "tmpfs") {
            // The same users and paths, now on a tmpfs: fsync costs nothing.
            mount_tmpfs(world.root());
            cleanup.tmpfs = world.root();
            world.create(options.modules, options.enroll_tool, sms_port, options.sms_timeout_ms);
        }
        std::printf("\n=== %s: %s ===\n", file_system.c_str(), world.root().c_str());
        std::printf(
            "µs per login (pam_start + pam_authenticate + pam_end), median of %u "
            "repeats of %zu users\n",
            repeats, per_repeat);
        const auto figures = measure_paths(world, targets, 0, per_repeat, repeats);
        const double libpam_us = libpam_alone_micros(world, per_repeat, repeats);
        const double lone_us =
            paths_only ? 0 : lone_success_micros(world, targets[0], 0, per_repeat, repeats);
        print_paths(file_system, targets, figures, libpam_us, lone_us, all_expected);
        if (paths_only) {
            continue;
        }
        all_expected = print_races(world, targets, path_users, racers, trials) && all_expected;
        if (full) {
            print_parallel(world, targets, path_users + trials, parallel_users);
        }
    }
    // Every login so far asked for a TOTP code: libcurl must still be
    // unloaded (curl_library.hpp loads it only to send a code).
    if (maps_library("libcurl")) {
        std::printf("\n!! TOTP logins loaded libcurl into this process\n");
        all_expected = false;
    }
    if (full) {
        print_hanging_gateway(world, options.sms_timeout_ms);
        print_memory(world, targets[0], options.memory_logins);
    }
    holds.clear();
    if (!all_expected) {
        std::printf("\nFAILED: a check above did not hold\n");
        return 1;
    }
    return 0;
}

}  // namespace
}  // namespace otpgate::bench

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures as they come, also into a pipe
    try {
        return otpgate::bench::run(otpgate::bench::parse(argc, argv));
    } catch (const std::exception& error) {
        std::cerr << "otpgate_bench: " << error.what() << "\n";
        return 2;
    }
}
