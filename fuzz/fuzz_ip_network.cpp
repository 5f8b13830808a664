// exempt_networks and PAM_RHOST: parse_ip_address, parse_ip_network,
// parse_ip_network_list. Invariants: the canonical text of an address or
// network parses back to it; a network contains its own base address and
// has no host bits set.
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/primitives/ip_network.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 4096) {
        return 0;
    }
    const std::string_view text = fuzz::as_text(data, size);

    if (const auto address = core::parse_ip_address(text)) {
        const std::string canonical = core::to_string(*address);
        FUZZ_CHECK(core::parse_ip_address(canonical) == address);
        FUZZ_CHECK(core::to_string(*core::parse_ip_address(canonical)) == canonical);
    }

    const auto parsed = core::parse_ip_network(text);
    if (const auto* network = std::get_if<core::IpNetwork>(&parsed)) {
        FUZZ_CHECK(network->prefix_length <= network->base.bit_count());
        FUZZ_CHECK(network->contains(network->base));
        const std::string canonical = core::to_string(*network);
        const auto reread = core::parse_ip_network(canonical);
        const auto* same = std::get_if<core::IpNetwork>(&reread);
        FUZZ_CHECK(same != nullptr && *same == *network);
        if (const auto address = core::parse_ip_address(text)) {
            FUZZ_CHECK(network->contains(*address));
        }
    }

    const auto list = core::parse_ip_network_list(text);
    if (const auto* networks = std::get_if<std::vector<core::IpNetwork>>(&list)) {
        for (const auto& network : *networks) {
            FUZZ_CHECK(core::any_contains(*networks, network.base));
        }
    }
    return 0;
}
