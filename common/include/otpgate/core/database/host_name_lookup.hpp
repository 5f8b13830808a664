// Host names of store_url looked up within the login's deadline.
//
// libpq resolves a host name with a blocking getaddrinfo() that no deadline
// of ours reaches: a name server that does not answer would hold a login
// for the resolver's own timeouts (5 s per try and server by default). So
// PgConnection looks names up here first, in a child process that is killed
// at the deadline, and gives libpq the addresses (hostaddr) while the name
// stays `host`, the one the server's certificate is checked against.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "otpgate/core/primitives/result.hpp"

namespace otpgate::core {

// An IPv4 or IPv6 address in text ("192.0.2.7", "::1"): no lookup needed.
bool is_numeric_address(const std::string& text);

// Every address `name` has for a TCP connection, numeric ("192.0.2.7",
// "2001:db8::7"), in getaddrinfo()'s order (AF_UNSPEC, AI_ADDRCONFIG).
// Errors: not_found when the name has no address ("no such host" as the
// resolver says); unavailable when the lookup did not finish by `deadline`
// (the child was killed) or could not be started.
Result<std::vector<std::string>> look_up_host_name(const std::string& name,
                                                   std::chrono::steady_clock::time_point deadline);

}  // namespace otpgate::core
