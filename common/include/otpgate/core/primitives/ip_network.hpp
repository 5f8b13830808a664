// IP addresses and networks for exempt_networks: what PAM_RHOST holds and
// the CIDR blocks an administrator writes. IPv4-mapped IPv6 addresses
// (::ffff:192.0.2.7, what a dual-stack sshd may report) are IPv4, so one
// IPv4 block covers a client however the socket saw it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace otpgate::core {

struct IpAddress {
    enum class Family { v4, v6 } family = Family::v4;
    // IPv4 uses the first 4 bytes; the rest stay zero.
    std::array<std::uint8_t, 16> bytes{};

    [[nodiscard]] unsigned bit_count() const noexcept { return family == Family::v4 ? 32 : 128; }
    bool operator==(const IpAddress&) const = default;
};

// A literal address: dotted IPv4, or IPv6 optionally in brackets and with a
// zone ("fe80::1%eth0", the zone ignored). nullopt for anything else,
// host names included.
std::optional<IpAddress> parse_ip_address(std::string_view text);

// "192.0.2.7", "2001:db8::1": the canonical text (mapped addresses as IPv4).
std::string to_string(const IpAddress& address);

struct IpNetwork {
    IpAddress base;  // host bits are zero
    unsigned prefix_length = 0;

    [[nodiscard]] bool contains(const IpAddress& address) const noexcept;
    bool operator==(const IpNetwork&) const = default;
};

// "10.0.0.0/8", "2001:db8::/32", or a single address (/32 or /128).
// Host bits set after the prefix are an error ("10.0.0.1/8" is a typo more
// often than not), reported in the returned text.
std::variant<IpNetwork, std::string> parse_ip_network(std::string_view text);

std::string to_string(const IpNetwork& network);  // "10.0.0.0/8"

// Networks separated by spaces or commas; the first bad one is reported.
std::variant<std::vector<IpNetwork>, std::string> parse_ip_network_list(std::string_view text);

bool any_contains(const std::vector<IpNetwork>& networks, const IpAddress& address);

}  // namespace otpgate::core
