// hex_decode (salts, hashes and ids in enrollment files). Invariants:
// decode is the inverse of encode, and only lower-case hex decodes.
#include "fuzz_support.hpp"
#include "otpgate/core/primitives/hex.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const std::string encoded = core::hex_encode(data, size);
    FUZZ_CHECK(encoded.size() == 2 * size && core::is_lower_hex(encoded));
    const auto round = core::hex_decode(encoded);
    FUZZ_CHECK(round && round->size() == size && std::equal(round->begin(), round->end(), data));

    const auto decoded = core::hex_decode(text);
    FUZZ_CHECK(decoded.has_value() == (size % 2 == 0 && core::is_lower_hex(text)));
    if (decoded) {
        FUZZ_CHECK(core::hex_encode(decoded->data(), decoded->size()) == text);
    }
    return 0;
}
