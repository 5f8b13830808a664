// The 512-byte record of a user's state; its layout, field by field, is in
// docs/state-records.md.
//
// Bytes 224 on were zero before access policies existed, and zero means
// "never, none": records written by earlier versions read unchanged, so
// the magic did not change. Likewise bytes 468-475 were zero before
// records carried the account's uid: such a record reads as "uid
// unknown" (uid 0 is root's, hence the flag). Every list is bounded by
// its count byte.
#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "little_endian.hpp"
#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "sealed_record.hpp"

namespace otpgate::core {
namespace {

using little_endian::get_u32;
using little_endian::get_u64;
using little_endian::put_u32;
using little_endian::put_u64;

constexpr SealedRecordFormat slot_format("OTPGST01", state_slot_size);
constexpr std::size_t checksum_offset = slot_format.checksum_offset();
constexpr std::int64_t no_step = std::numeric_limits<std::int64_t>::min();

constexpr std::size_t sends_offset = 96;
constexpr std::size_t last_success_offset = 224;
constexpr std::size_t locked_at_offset = 232;
constexpr std::size_t failure_count_offset = 240;
constexpr std::size_t host_count_offset = 241;
constexpr std::size_t failures_offset = 244;
constexpr std::size_t hosts_offset = failures_offset + 4 * max_recorded_failures;
constexpr std::size_t host_entry_size = host_tag_size + 4;
constexpr std::size_t uid_flag_offset = 468;
constexpr std::size_t uid_offset = 472;
static_assert(hosts_offset + host_entry_size * max_remembered_hosts <= uid_flag_offset);
static_assert(uid_offset + 4 <= checksum_offset);
static_assert(sizeof(uid_t) == 4);
static_assert(sends_offset + 4 * max_recorded_sends <= last_success_offset);

// Times in lists are 32-bit Unix times (good until 2106).
void put_time32(std::uint8_t* at, std::int64_t when) {
    const auto clamped = static_cast<std::uint64_t>(std::max<std::int64_t>(0, when));
    put_u32(at, static_cast<std::uint32_t>(std::min<std::uint64_t>(clamped, 0xffffffffU)));
}

// The newest `limit` entries of a list ordered oldest first.
template <typename T>
std::pair<std::size_t, std::size_t> newest(const std::vector<T>& list, std::size_t limit) {
    const std::size_t count = std::min(list.size(), limit);
    return {list.size() - count, count};
}

}  // namespace

void encode_state_slot(const UserState& state, std::uint64_t sequence, std::uint8_t* slot) {
    slot_format.start(slot);
    put_u64(slot + 8, sequence);
    if (const auto id = hex_decode(state.enrollment_id); id && id->size() == 16) {
        std::memcpy(slot + 16, id->data(), 16);
    }
    put_u64(slot + 32, static_cast<std::uint64_t>(state.last_totp_step.value_or(no_step)));
    put_u64(slot + 40, state.backup_used_mask);
    if (const auto hash = hex_decode(state.verified_destination); hash && hash->size() == 32) {
        std::memcpy(slot + 48, hash->data(), 32);
    }
    put_u64(slot + 80, static_cast<std::uint64_t>(state.verified_at));
    const auto [first_send, sends] = newest(state.recent_sends, max_recorded_sends);
    slot[88] = static_cast<std::uint8_t>(sends);
    for (std::size_t i = 0; i < sends; ++i) {
        put_time32(slot + sends_offset + 4 * i, state.recent_sends[first_send + i]);
    }

    put_u64(slot + last_success_offset,
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, state.last_success)));
    put_u64(slot + locked_at_offset,
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, state.locked_at)));
    const auto [first_failure, failures] = newest(state.recent_failures, max_recorded_failures);
    slot[failure_count_offset] = static_cast<std::uint8_t>(failures);
    for (std::size_t i = 0; i < failures; ++i) {
        put_time32(slot + failures_offset + 4 * i, state.recent_failures[first_failure + i]);
    }
    const auto [first_host, hosts] = newest(state.remembered_hosts, max_remembered_hosts);
    slot[host_count_offset] = static_cast<std::uint8_t>(hosts);
    for (std::size_t i = 0; i < hosts; ++i) {
        const RememberedHost& host = state.remembered_hosts[first_host + i];
        std::uint8_t* entry = slot + hosts_offset + host_entry_size * i;
        std::memcpy(entry, host.tag.data(), host_tag_size);
        put_time32(entry + host_tag_size, host.at);
    }
    if (state.uid) {
        slot[uid_flag_offset] = 1;
        put_u32(slot + uid_offset, static_cast<std::uint32_t>(*state.uid));
    }
    slot_format.seal(slot);
}

std::optional<std::pair<UserState, std::uint64_t>> decode_state_slot(const std::uint8_t* slot) {
    if (!slot_format.check(slot)) {
        return std::nullopt;
    }
    UserState state;
    static const std::array<std::uint8_t, 16> no_id{};
    if (std::memcmp(slot + 16, no_id.data(), no_id.size()) != 0) {
        state.enrollment_id = hex_encode(slot + 16, 16);
    }
    const auto step = static_cast<std::int64_t>(get_u64(slot + 32));
    if (step != no_step) {
        state.last_totp_step = step;
    }
    state.backup_used_mask = get_u64(slot + 40);
    static const std::array<std::uint8_t, 32> no_hash{};
    if (std::memcmp(slot + 48, no_hash.data(), no_hash.size()) != 0) {
        state.verified_destination = hex_encode(slot + 48, 32);
    }
    state.verified_at = static_cast<std::int64_t>(get_u64(slot + 80));
    const std::size_t sends = std::min<std::size_t>(slot[88], max_recorded_sends);
    for (std::size_t i = 0; i < sends; ++i) {
        state.recent_sends.push_back(
            static_cast<std::int64_t>(get_u32(slot + sends_offset + 4 * i)));
    }

    // Clamped like the writer clamps, so that a record from a buggy writer
    // cannot make a time negative.
    const auto time64 = [](const std::uint8_t* at) {
        return static_cast<std::int64_t>(std::min<std::uint64_t>(get_u64(at), 0xffffffffU));
    };
    state.last_success = time64(slot + last_success_offset);
    state.locked_at = time64(slot + locked_at_offset);
    const std::size_t failures =
        std::min<std::size_t>(slot[failure_count_offset], max_recorded_failures);
    for (std::size_t i = 0; i < failures; ++i) {
        state.recent_failures.push_back(
            static_cast<std::int64_t>(get_u32(slot + failures_offset + 4 * i)));
    }
    const std::size_t hosts = std::min<std::size_t>(slot[host_count_offset], max_remembered_hosts);
    for (std::size_t i = 0; i < hosts; ++i) {
        const std::uint8_t* entry = slot + hosts_offset + host_entry_size * i;
        RememberedHost host;
        std::memcpy(host.tag.data(), entry, host_tag_size);
        host.at = static_cast<std::int64_t>(get_u32(entry + host_tag_size));
        state.remembered_hosts.push_back(host);
    }
    if (slot[uid_flag_offset] == 1) {
        state.uid = static_cast<uid_t>(get_u32(slot + uid_offset));
    }
    return std::make_pair(std::move(state), get_u64(slot + 8));
}

}  // namespace otpgate::core
