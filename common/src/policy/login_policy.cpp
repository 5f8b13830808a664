#include "otpgate/core/policy/login_policy.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <string>

#include "otpgate/core/primitives/ip_network.hpp"
#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::core {
namespace {

struct AddrInfoDeleter {
    void operator()(addrinfo* list) const noexcept { freeaddrinfo(list); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoDeleter>;

std::optional<IpAddress> address_of(const sockaddr* address) {
    IpAddress out;
    if (address->sa_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
        std::memcpy(out.bytes.data(), &v4->sin_addr, 4);
        return out;
    }
    if (address->sa_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
        char text[64] = {};
        // Through the text form, which maps ::ffff:a.b.c.d to IPv4.
        if (inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text) != nullptr) {
            return parse_ip_address(text);
        }
    }
    return std::nullopt;
}

// Every address of the name is exempt (and there is at least one): a name
// that also points outside must not open the door.
bool name_exempt(const PolicyConfig& policy, const std::string& name, Logger& logger) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* raw = nullptr;
    const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &raw);
    const AddrInfoList list(raw);
    if (rc != 0 || !list) {
        logger.debug("PAM_RHOST " + one_line(name, 255) + " does not resolve: " + gai_strerror(rc));
        return false;
    }
    bool any = false;
    for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
        const auto address = address_of(entry->ai_addr);
        if (!address || !any_contains(policy.exempt_networks, *address)) {
            return false;
        }
        any = true;
    }
    return any;
}

}  // namespace

bool remote_host_exempt(const PolicyConfig& policy, std::string_view remote_host, Logger& logger) {
    if (policy.exempt_networks.empty() || remote_host.empty()) {
        return false;
    }
    if (const auto address = parse_ip_address(remote_host)) {
        return any_contains(policy.exempt_networks, *address);
    }
    if (!policy.exempt_networks_resolve) {
        logger.debug("PAM_RHOST " + one_line(remote_host, 255) +
                     " is not an address and exempt_networks_resolve is off: not exempt");
        return false;
    }
    return name_exempt(policy, std::string(remote_host), logger);
}

bool enforced_for(const PolicyConfig& policy, const UserAccount* account, Logger& logger) {
    switch (policy.enforce) {
        case PolicyConfig::Enforce::all: return true;
        case PolicyConfig::Enforce::enrolled: return false;
        case PolicyConfig::Enforce::groups: break;
    }
    if (account == nullptr) {
        return false;
    }
    return groups_include(policy.groups, group_ids_of(*account), lookup_group_id, logger);
}

}  // namespace otpgate::core
