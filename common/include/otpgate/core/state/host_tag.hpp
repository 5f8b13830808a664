// remember_host: after a user passed the second factor from a remote host,
// logins of that user from that host skip it for a while. What is kept is
// a tag, HMAC-SHA256 under a host-wide key of the user name and the host,
// in the user's root-owned state: the addresses a user logs in from are
// not written anywhere in the clear, and a copy of the state without the
// key does not tell them (IPv4 is small enough to try every address
// against a plain hash). The key is the storage's (storage/storage.hpp);
// the rules on the tags are here. (Defined in remembered_host.cpp.)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/state/user_state.hpp"

namespace otpgate::core {

using HostTag = std::array<std::uint8_t, host_tag_size>;

inline constexpr std::size_t host_key_size = 32;

// PAM_RHOST as it is remembered: addresses in canonical form (an
// IPv4-mapped address as IPv4), anything else as a lower-case name.
std::string canonical_remote_host(std::string_view remote_host);

// Bound to the enrollment too: a new enrollment (a new phone, a new
// secret, a reset after a loss) starts with no remembered host, so a host
// that passed with the old factor must pass again with the new one.
HostTag host_tag(const SecretBytes& key, std::string_view user_name, std::string_view enrollment_id,
                 std::string_view remote_host);

// True when the tag was remembered less than `period` seconds before `now`.
bool host_remembered(const UserState& state, const HostTag& tag, std::int64_t now, unsigned period);

// Records the tag at `now`, replacing an older entry for it; the oldest
// entry goes when max_remembered_hosts would be exceeded.
void remember_host(UserState& state, const HostTag& tag, std::int64_t now);

}  // namespace otpgate::core
