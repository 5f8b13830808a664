// The shared store (store = postgresql) in the benchmark's world: simulated
// hosts of one fleet, each a config of its own (host_name, state_dir) and a
// PAM service in the world's pam.d, all pointing at one database, reached
// one of three ways (a deployment): a direct TLS connection per login with
// SCRAM or with a client certificate (pg_hba `cert`), or a local pgbouncer
// on a Unix socket (conf/pgbouncer-otpgate.ini). The
// servers are started by shared_store_bench.py; this side only logs in.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_world.hpp"
#include "measurements.hpp"

namespace otpgate::bench {

struct StoreDeployment {
    std::string label;    // "TLS", "TLS + cert", "pgbouncer"
    std::string key;      // in service and file names
    std::string url;      // store_url
    std::string secrets;  // its own credentials file; empty: the shared one
};

// Service of host `host` (0-based) of a deployment; host 0 is the one the
// latency and throughput rows use.
std::string store_service(const StoreDeployment& deployment, unsigned host);
// Host 0 with store_timeout_ms = the frozen-server timeout.
std::string frozen_store_service(const StoreDeployment& deployment);

// Writes `hosts` host configs and services per deployment, and the frozen
// one; `secrets` is the credentials file (store_password, store_key) of
// the deployments that name none of their own.
void write_store_hosts(const World& world, const std::vector<StoreDeployment>& deployments,
                       const std::filesystem::path& secrets, const std::string& module,
                       unsigned hosts, unsigned frozen_timeout_ms);

// `otpgate store import --from local --all` through `deployment`: the
// world's local enrollments (written by the enroll tool) into the
// database, as a sysadmin moves a host over. Throws unless it succeeded;
// returns its summary line.
std::string import_into_store(const World& world, const std::string& otpgate_cli,
                              const StoreDeployment& deployment,
                              const std::filesystem::path& secrets);

// Nearest-rank percentiles of single logins, in µs.
struct Percentiles {
    double p50 = 0;
    double p99 = 0;
};
struct LatencyFigures {
    Percentiles success;
    Percentiles replay;
    Percentiles wrong;
    unsigned logins = 0;
    unsigned unexpected = 0;
    std::string first_unexpected;
};

// Like measure_paths, but every login timed on its own: target t takes
// `per_target` users of its own from first_user + t * per_target (the
// database is shared, so no two targets use one user), in chunks of
// `chunk`, the targets taking turns chunk by chunk. Per user: an untimed
// login with step S-1, then timed: S (success), S again (replay), a wrong
// code.
std::vector<LatencyFigures> measure_latencies(const World& world,
                                              const std::vector<Target>& targets,
                                              std::size_t first_user, std::size_t per_target,
                                              std::size_t chunk);

// One trial of the fleet race: after an untimed login with step S-1 on the
// first host, `racers` processes, racer i on hosts[i % hosts.size()], each
// start a login of `user` and wait at the prompt (the enrollment read);
// then all type the code of step S at once. Returns how many got in.
unsigned fleet_race_once(const World& world, const std::vector<Target>& hosts,
                         const BenchUser& user, unsigned racers);

// Wall time of one login of `user` through `target` while the database is
// frozen: `freeze` and `thaw` are shell commands (untimed). `let_in` tells
// whether the login succeeded (it must not: fail closed).
double frozen_store_login_ms(const World& world, const Target& target, const BenchUser& user,
                             const std::string& freeze, const std::string& thaw, bool& let_in);

}  // namespace otpgate::bench
