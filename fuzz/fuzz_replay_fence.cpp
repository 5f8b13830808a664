// decode_replay_fence_slot: one 128-byte record of the host-wide replay
// fence. The input fills the slot (zero-padded); when its first byte is odd
// the magic and the SHA-256 are made valid so that the fuzzer reaches the
// field decoding behind them.
// Invariant: a decoded record re-encodes to one that decodes to the same
// record and sequence number, and the fence rule never refuses less for
// another boot than for its own.
#include <openssl/sha.h>

#include <array>
#include <cstring>

#include "fuzz_support.hpp"
#include "otpgate/core/state/replay_fence.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::array<std::uint8_t, core::replay_fence_slot_size> slot{};
    std::memcpy(slot.data(), data, std::min(size, slot.size()));
    if (size > 0 && (data[0] & 1) != 0) {
        std::memcpy(slot.data(), "OTPGRF01", 8);
        constexpr std::size_t covered = core::replay_fence_slot_size - SHA256_DIGEST_LENGTH;
        SHA256(slot.data(), covered, slot.data() + covered);
    }
    const auto decoded = core::decode_replay_fence_slot(slot.data());
    if (!decoded) {
        return 0;
    }
    const auto& [record, sequence] = *decoded;
    FUZZ_CHECK(record.boot_id.size() <= 48);
    FUZZ_CHECK(core::fence_refuses_through(record, record.boot_id) == record.refused_through);
    FUZZ_CHECK(core::fence_refuses_through(record, record.boot_id + "x") >= record.refused_through);

    std::array<std::uint8_t, core::replay_fence_slot_size> again{};
    FUZZ_CHECK(core::encode_replay_fence_slot(record, sequence, again.data()));
    const auto redecoded = core::decode_replay_fence_slot(again.data());
    FUZZ_CHECK(redecoded.has_value());
    FUZZ_CHECK(redecoded->second == sequence);
    FUZZ_CHECK(redecoded->first == record);
    return 0;
}
