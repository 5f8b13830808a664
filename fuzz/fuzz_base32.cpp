// base32_decode (TOTP secrets typed by people, read from enrollment and
// google-authenticator files). Invariants: decoding is the inverse of
// encoding; grouping in fours for display does not change the secret;
// lower case decodes as upper case.
#include <algorithm>
#include <cctype>
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/primitives/base32.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const auto decoded = core::base32_decode(text);

    // Any bytes encode to text that decodes to them.
    const core::SecretBytes bytes(data, data + size);
    const core::SecretString encoded = core::base32_encode(bytes);
    FUZZ_CHECK(encoded.size() == (size * 8 + 4) / 5);
    const auto round = core::base32_decode(encoded.view());
    FUZZ_CHECK(round && *round == bytes);
    const core::SecretString grouped = core::group_in_fours(encoded.view());
    const auto from_grouped = core::base32_decode(grouped.view());
    FUZZ_CHECK(from_grouped && *from_grouped == bytes);

    if (!decoded) {
        return 0;
    }
    // Re-encoding what was decoded gives text that decodes to the same bytes.
    const core::SecretString again = core::base32_encode(*decoded);
    const auto redecoded = core::base32_decode(again.view());
    FUZZ_CHECK(redecoded && *redecoded == *decoded);
    std::string upper(text);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    const auto from_upper = core::base32_decode(upper);
    FUZZ_CHECK(from_upper && *from_upper == *decoded);
    return 0;
}
