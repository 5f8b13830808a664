#include "shared_store.hpp"

#include <fcntl.h>
#include <poll.h>
#include <security/pam_appl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "login_cycle.hpp"
#include "scripted_conversation.hpp"
#include "totp_code.hpp"

namespace otpgate::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void write_root_file(const fs::path& path, const std::string& text, fs::perms mode) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        throw std::runtime_error("cannot write " + path.string());
    }
    fs::permissions(path, mode);
}

fs::path host_config(const World& world, const std::string& name) {
    return world.root() / ("otpgate-" + name + ".conf");
}

// A host's configuration: defaults otherwise (lockout on, window 1,
// store_offline = deny), as the files and local columns.
void write_host(const World& world, const std::string& name, const std::string& url,
                const fs::path& secrets, const std::string& extra) {
    const fs::path state = world.root() / ("state-" + name);
    fs::create_directories(state);
    fs::permissions(state, fs::perms::owner_all);
    write_root_file(host_config(world, name),
                    "store = postgresql\nstore_url = " + url + "\nhost_name = bench-" + name +
                        "\nstate_dir = " + state.string() + "\ncredentials_file = " +
                        secrets.string() + "\nbackup_code_iterations = 1000\n" + extra,
                    fs::perms::owner_read | fs::perms::owner_write);
}

void write_service(const World& world, const std::string& service, const std::string& module,
                   const std::string& host) {
    write_root_file(fs::path(world.confdir()) / service,
                    "auth required " + module + " fail_delay_ms=0 max_attempts=1 config=" +
                        host_config(world, host).string() + "\n",
                    fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                        fs::perms::others_read);
}

// Nearest rank: the smallest value with at least `fraction` of all at or below it.
double percentile(std::vector<double> values, double fraction) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const auto rank =
        static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

Percentiles percentiles(const std::vector<double>& values) {
    return {percentile(values, 0.50), percentile(values, 0.99)};
}

void note(LatencyFigures& figures, const char* path, const BenchUser& user,
          const LoginResult& got) {
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

// Waits for a byte on `fd` for at most `seconds`; false on timeout or EOF.
bool read_byte(int fd, int seconds) {
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd wait{fd, POLLIN, 0};
        const int ready = poll(&wait, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            return false;
        }
        char byte = 0;
        const ssize_t got = ::read(fd, &byte, 1);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        return got == 1;
    }
}

// A racer (a forked child): starts its login, and at the prompt says
// "ready", waits for the release (closed pipe), then types the code.
[[noreturn]] void race_in_child(const World& world, const Target& host, const BenchUser& user,
                                std::int64_t step, int ready, int release) {
    const std::string code = totp_code(user.secret, step);
    bool prompted = false;
    test::ScriptedConversation conversation([&] {
        prompted = true;
        static_cast<void>(::write(ready, "r", 1));
        static_cast<void>(read_byte(release, 120));  // EOF is the starting gun
        return code;
    });
    pam_conv conv = conversation.conv();
    pam_handle_t* pamh = nullptr;
    int rc = pam_start_confdir(host.service.c_str(), user.name.c_str(), &conv,
                               world.confdir().c_str(), &pamh);
    if (rc == PAM_SUCCESS) {
        rc = pam_authenticate(pamh, 0);
        pam_end(pamh, rc);
    }
    if (!prompted) {
        static_cast<void>(::write(ready, "x", 1));  // never got to the prompt
    }
    _exit(rc == PAM_SUCCESS ? 0 : 1);
}

}  // namespace

std::string store_service(const StoreDeployment& deployment, unsigned host) {
    return "pg-" + deployment.key + "-" + std::to_string(host);
}

std::string frozen_store_service(const StoreDeployment& deployment) {
    return "pg-" + deployment.key + "-frozen";
}

void write_store_hosts(const World& world, const std::vector<StoreDeployment>& deployments,
                       const fs::path& secrets, const std::string& module, unsigned hosts,
                       unsigned frozen_timeout_ms) {
    for (const auto& deployment : deployments) {
        const fs::path own_secrets =
            deployment.secrets.empty() ? secrets : fs::path(deployment.secrets);
        for (unsigned host = 0; host < hosts; ++host) {
            const std::string name = store_service(deployment, host);
            write_host(world, name, deployment.url, own_secrets, "");
            write_service(world, name, module, name);
        }
        const std::string frozen = frozen_store_service(deployment);
        write_host(world, frozen, deployment.url, own_secrets,
                   "store_timeout_ms = " + std::to_string(frozen_timeout_ms) + "\n");
        write_service(world, frozen, module, frozen);
    }
}

std::string import_into_store(const World& world, const std::string& otpgate_cli,
                              const StoreDeployment& deployment, const fs::path& secrets) {
    // The local store the enroll tool wrote (state-local), as this host's.
    write_root_file(
        host_config(world, "pg-import"),
        "store = postgresql\nstore_url = " + deployment.url +
            "\nhost_name = bench-import\nstate_dir = " + (world.root() / "state-local").string() +
            "\ncredentials_file = " + secrets.string() + "\nbackup_code_iterations = 1000\n",
        fs::perms::owner_read | fs::perms::owner_write);
    const fs::path output = world.root() / "store-import.txt";
    const std::string command =
        "'" + otpgate_cli + "' --config '" + host_config(world, "pg-import").string() +
        "' store import --from local --all > '" + output.string() + "' 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream in(output);
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            last = line;
        }
    }
    if (status != 0) {
        throw std::runtime_error("otpgate store import failed (status " + std::to_string(status) +
                                 "): " + last + " (see " + output.string() + ")");
    }
    return last;
}

std::vector<LatencyFigures> measure_latencies(const World& world,
                                              const std::vector<Target>& targets,
                                              std::size_t first_user, std::size_t per_target,
                                              std::size_t chunk) {
    if (first_user + targets.size() * per_target > world.users().size()) {
        throw std::runtime_error("not enough users for the latency rows");
    }
    std::vector<LatencyFigures> figures(targets.size());
    std::vector<std::vector<double>> times(targets.size() * 3);
    for (std::size_t begin = 0; begin < per_target; begin += chunk) {
        const std::size_t end = std::min(begin + chunk, per_target);
        for (std::size_t t = 0; t < targets.size(); ++t) {
            const Target& target = targets[t];
            LatencyFigures& out = figures[t];
            const auto user_at = [&](std::size_t i) -> const BenchUser& {
                return world.users()[first_user + t * per_target + i];
            };
            wait_for_room(8);  // a chunk of the slowest column takes about 4 s
            const std::int64_t step = current_step();
            for (std::size_t i = begin; i < end; ++i) {
                const auto got = run_login(request_for(world, target, user_at(i), step - 1));
                if (got.auth_rc != PAM_SUCCESS) {
                    note(out, "preparing login", user_at(i), got);
                }
            }
            for (std::size_t i = begin; i < end; ++i) {
                const auto ok = run_login(request_for(world, target, user_at(i), step));
                times[t * 3].push_back(ok.micros);
                if (ok.auth_rc != PAM_SUCCESS) {
                    note(out, "success path", user_at(i), ok);
                }
            }
            for (std::size_t i = begin; i < end; ++i) {
                const auto again = run_login(request_for(world, target, user_at(i), step));
                times[t * 3 + 1].push_back(again.micros);
                if (!refused(again)) {
                    note(out, "replay", user_at(i), again);
                }
            }
            for (std::size_t i = begin; i < end; ++i) {
                LoginRequest request = request_for(world, target, user_at(i), step);
                request.typing = Typing{nullptr, 0, wrong_code(user_at(i), step)};
                const auto bad = run_login(request);
                times[t * 3 + 2].push_back(bad.micros);
                if (!refused(bad)) {
                    note(out, "wrong code", user_at(i), bad);
                }
            }
            out.logins += static_cast<unsigned>(3 * (end - begin));
        }
    }
    for (std::size_t t = 0; t < targets.size(); ++t) {
        figures[t].success = percentiles(times[t * 3]);
        figures[t].replay = percentiles(times[t * 3 + 1]);
        figures[t].wrong = percentiles(times[t * 3 + 2]);
    }
    return figures;
}

unsigned fleet_race_once(const World& world, const std::vector<Target>& hosts,
                         const BenchUser& user, unsigned racers) {
    // The code of S is good through step S+1: a little room is enough.
    wait_for_room(3);
    const std::int64_t step = current_step();
    if (run_login(request_for(world, hosts.at(0), user, step - 1)).auth_rc != PAM_SUCCESS) {
        throw std::runtime_error("preparing login failed for " + user.name + " on " +
                                 hosts[0].label);
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
            race_in_child(world, hosts[i % hosts.size()], user, step, ready[1], release[0]);
        }
        if (child < 0) {
            throw std::runtime_error("fork failed");
        }
        children.push_back(child);
    }
    ::close(ready[1]);
    ::close(release[0]);
    for (unsigned got = 0; got < racers && read_byte(ready[0], 60); ++got) {
    }
    ::close(release[1]);  // the starting gun: every racer's read returns at once
    ::close(ready[0]);
    unsigned successes = 0;
    for (const pid_t child : children) {
        int status = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        successes += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 1 : 0;
    }
    return successes;
}

double frozen_store_login_ms(const World& world, const Target& target, const BenchUser& user,
                             const std::string& freeze, const std::string& thaw, bool& let_in) {
    if (std::system(freeze.c_str()) != 0) {
        static_cast<void>(std::system(thaw.c_str()));
        throw std::runtime_error("could not freeze the database: " + freeze);
    }
    const auto got = run_login(request_for(world, target, user, current_step()));
    if (std::system(thaw.c_str()) != 0) {
        throw std::runtime_error("could not thaw the database: " + thaw);
    }
    let_in = got.auth_rc == PAM_SUCCESS;
    return got.micros / 1000.0;
}

}  // namespace otpgate::bench
