#include "otpgate/core/database/host_name_lookup.hpp"

#include <algorithm>
#include <sstream>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "otpgate/core/system/child_process.hpp"

namespace otpgate::core {
namespace {

// getent(1) of libc-bin (Essential in Debian) runs getaddrinfo() through
// the system's NSS configuration, as libpq would, in a process of its own
// that run_reading_output kills at the deadline. A lookup inside a forked
// copy of the caller would not be safe: the caller (sshd, a display
// manager) may have threads whose locks the copy inherits.
constexpr const char* getent_program = "/usr/bin/getent";
constexpr int getent_not_found = 2;  // "one or more supplied key could not be found"
constexpr std::size_t output_limit = 64 * 1024;

// Letters, digits, '-', '.' and '_' (seen in internal names), not starting
// with '-' (getent would take it for an option).
bool plausible_host_name(const std::string& name) {
    if (name.empty() || name.size() > 253 || name.front() == '-') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_';
    });
}

// `getent ahosts` prints "ADDRESS STREAM|DGRAM|RAW [NAME]" per result; the
// STREAM lines are the TCP addresses, each once, in order.
std::vector<std::string> stream_addresses(const std::string& output) {
    std::vector<std::string> addresses;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string address;
        std::string kind;
        if (!(fields >> address >> kind) || kind != "STREAM" || !is_numeric_address(address)) {
            continue;
        }
        if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
            addresses.push_back(address);
        }
    }
    return addresses;
}

}  // namespace

bool is_numeric_address(const std::string& text) {
    unsigned char address[sizeof(in6_addr)];
    return inet_pton(AF_INET, text.c_str(), address) == 1 ||
           inet_pton(AF_INET6, text.c_str(), address) == 1;
}

Result<std::vector<std::string>> look_up_host_name(const std::string& name,
                                                   std::chrono::steady_clock::time_point deadline) {
    if (!plausible_host_name(name)) {
        return make_error(ErrorKind::invalid_input,
                          "store_url names a host that is not a host name: only letters, digits, "
                          "'-', '.' and '_' are looked up");
    }
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
        return make_error(ErrorKind::unavailable,
                          "no time was left to look up the store's host " + name);
    }
    std::string output;
    const ChildOutcome outcome =
        run_reading_output({getent_program, "ahosts", name}, left, output, output_limit);
    if (outcome.kind == ChildOutcome::Kind::timed_out) {
        return make_error(ErrorKind::unavailable,
                          "the name service did not answer for the store's host " + name +
                              " within " + std::to_string(left.count()) +
                              " ms (give store_url's hosts as addresses, or hostaddr, to "
                              "connect without a lookup)");
    }
    if (outcome.kind == ChildOutcome::Kind::exited && outcome.exit_status == getent_not_found) {
        return make_error(ErrorKind::not_found, "the store's host " + name + " is not known");
    }
    if (outcome.kind != ChildOutcome::Kind::exited || outcome.exit_status != 0) {
        return make_error(ErrorKind::unavailable, "cannot look up the store's host " + name + ": " +
                                                      getent_program + " " +
                                                      describe_child_outcome(outcome, left));
    }
    auto addresses = stream_addresses(output);
    if (addresses.empty()) {
        return make_error(ErrorKind::not_found,
                          "the store's host " + name + " has no address for TCP");
    }
    return addresses;
}

}  // namespace otpgate::core
