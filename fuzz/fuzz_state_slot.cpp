// decode_state_slot: one 512-byte record of the root-owned state file.
// The input fills the slot (zero-padded); when its first byte is odd the
// magic and the SHA-256 are made valid so that the fuzzer reaches the
// field decoding behind them.
// Invariant: a decoded record re-encodes to one that decodes to the same
// state and sequence number.
#include <openssl/sha.h>

#include <array>
#include <cstring>

#include "fuzz_support.hpp"
#include "otpgate/core/state/state_store.hpp"

using namespace otpgate;

namespace {

void check_same(const core::UserState& a, const core::UserState& b) {
    FUZZ_CHECK(a.uid == b.uid);
    FUZZ_CHECK(a.enrollment_id == b.enrollment_id);
    FUZZ_CHECK(a.last_totp_step == b.last_totp_step);
    FUZZ_CHECK(a.backup_used_mask == b.backup_used_mask);
    FUZZ_CHECK(a.verified_destination == b.verified_destination);
    FUZZ_CHECK(a.verified_at == b.verified_at);
    FUZZ_CHECK(a.recent_sends == b.recent_sends);
    FUZZ_CHECK(a.last_success == b.last_success);
    FUZZ_CHECK(a.locked_at == b.locked_at);
    FUZZ_CHECK(a.recent_failures == b.recent_failures);
    FUZZ_CHECK(a.remembered_hosts == b.remembered_hosts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::array<std::uint8_t, core::state_slot_size> slot{};
    std::memcpy(slot.data(), data, std::min(size, slot.size()));
    if (size > 0 && (data[0] & 1) != 0) {
        std::memcpy(slot.data(), "OTPGST01", 8);
        constexpr std::size_t covered = core::state_slot_size - SHA256_DIGEST_LENGTH;
        SHA256(slot.data(), covered, slot.data() + covered);
    }
    const auto decoded = core::decode_state_slot(slot.data());
    if (!decoded) {
        return 0;
    }
    const auto& [state, sequence] = *decoded;
    FUZZ_CHECK(state.recent_sends.size() <= core::max_recorded_sends);
    FUZZ_CHECK(state.recent_failures.size() <= core::max_recorded_failures);
    FUZZ_CHECK(state.remembered_hosts.size() <= core::max_remembered_hosts);
    FUZZ_CHECK(state.last_success >= 0 && state.locked_at >= 0);

    std::array<std::uint8_t, core::state_slot_size> again{};
    core::encode_state_slot(state, sequence, again.data());
    const auto redecoded = core::decode_state_slot(again.data());
    FUZZ_CHECK(redecoded.has_value());
    FUZZ_CHECK(redecoded->second == sequence);
    check_same(redecoded->first, state);
    return 0;
}
