#include "otpgate/core/primitives/ip_network.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace otpgate::core {
namespace {

constexpr std::size_t max_address_text = 64;
constexpr std::array<std::uint8_t, 12> mapped_prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_v4_mapped(const std::array<std::uint8_t, 16>& bytes) {
    return std::memcmp(bytes.data(), mapped_prefix.data(), mapped_prefix.size()) == 0;
}

IpAddress v4_from_mapped(const std::array<std::uint8_t, 16>& bytes) {
    IpAddress address;
    address.family = IpAddress::Family::v4;
    std::memcpy(address.bytes.data(), bytes.data() + 12, 4);
    return address;
}

void clear_host_bits(IpAddress& address, unsigned prefix_length) {
    for (unsigned bit = prefix_length; bit < address.bit_count(); ++bit) {
        address.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
    }
}

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        text = text.substr(1, text.size() - 2);
    }
    if (text.empty() || text.size() > max_address_text) {
        return std::nullopt;
    }
    const std::string plain(text);
    IpAddress address;
    if (inet_pton(AF_INET, plain.c_str(), address.bytes.data()) == 1) {
        address.family = IpAddress::Family::v4;
        return address;
    }
    // A zone ("%eth0") says which link, not which host: it is dropped.
    const std::string without_zone = plain.substr(0, plain.find('%'));
    std::array<std::uint8_t, 16> bytes{};
    if (without_zone.find(':') == std::string::npos ||
        inet_pton(AF_INET6, without_zone.c_str(), bytes.data()) != 1) {
        return std::nullopt;
    }
    if (is_v4_mapped(bytes)) {
        return v4_from_mapped(bytes);
    }
    address.family = IpAddress::Family::v6;
    address.bytes = bytes;
    return address;
}

std::string to_string(const IpAddress& address) {
    char text[INET6_ADDRSTRLEN] = {};
    const int family = address.family == IpAddress::Family::v4 ? AF_INET : AF_INET6;
    if (inet_ntop(family, address.bytes.data(), text, sizeof text) == nullptr) {
        return "?";
    }
    return text;
}

bool IpNetwork::contains(const IpAddress& address) const noexcept {
    if (address.family != base.family) {
        return false;
    }
    for (unsigned bit = 0; bit < prefix_length; ++bit) {
        const auto mask = static_cast<std::uint8_t>(0x80U >> (bit % 8));
        if ((address.bytes[bit / 8] & mask) != (base.bytes[bit / 8] & mask)) {
            return false;
        }
    }
    return true;
}

std::variant<IpNetwork, std::string> parse_ip_network(std::string_view text) {
    const auto slash = text.find('/');
    const std::string_view address_text = text.substr(0, slash);
    const auto address = parse_ip_address(address_text);
    // parse_ip_address maps ::ffff:a.b.c.d to IPv4; its prefix counts 128 bits.
    const bool written_as_mapped = address && address->family == IpAddress::Family::v4 &&
                                   address_text.find(':') != std::string_view::npos;
    if (!address || address_text.find('%') != std::string_view::npos) {
        return "'" + std::string(text) +
               "' is not an IP address or network (CIDR such as "
               "192.0.2.0/24 or 2001:db8::/32)";
    }
    IpNetwork network{*address, address->bit_count()};
    if (slash != std::string_view::npos) {
        const std::string_view length_text = text.substr(slash + 1);
        unsigned length = 0;
        const auto* end = length_text.data() + length_text.size();
        const auto [ptr, ec] = std::from_chars(length_text.data(), end, length);
        const unsigned written_bits = written_as_mapped ? 128U : address->bit_count();
        if (length_text.empty() || ec != std::errc{} || ptr != end || length > written_bits) {
            return "'" + std::string(text) + "': the prefix length must be a number from 0 to " +
                   std::to_string(written_bits);
        }
        if (written_as_mapped) {
            if (length < 96) {
                return "'" + std::string(text) +
                       "': an IPv4-mapped network needs a prefix of "
                       "at least 96";
            }
            length -= 96;
        }
        network.prefix_length = length;
    }
    IpNetwork cleared = network;
    clear_host_bits(cleared.base, cleared.prefix_length);
    if (!(cleared.base == network.base)) {
        return "'" + std::string(text) + "' has bits set after the prefix; did you mean " +
               to_string(cleared) + "?";
    }
    return network;
}

std::string to_string(const IpNetwork& network) {
    return to_string(network.base) + "/" + std::to_string(network.prefix_length);
}

std::variant<std::vector<IpNetwork>, std::string> parse_ip_network_list(std::string_view text) {
    std::vector<IpNetwork> networks;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = text.find_first_of(" ,\t", start);
        const std::string_view item = text.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (!item.empty()) {
            auto parsed = parse_ip_network(item);
            if (auto* problem = std::get_if<std::string>(&parsed)) {
                return std::move(*problem);
            }
            networks.push_back(std::get<IpNetwork>(parsed));
        }
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    return networks;
}

bool any_contains(const std::vector<IpNetwork>& networks, const IpAddress& address) {
    for (const auto& network : networks) {
        if (network.contains(address)) {
            return true;
        }
    }
    return false;
}

}  // namespace otpgate::core
