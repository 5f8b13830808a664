// What comes back from an SMS provider: twilio_error_code reads Twilio's
// error body, judge_http_status the status line (any long a server can
// make libcurl report). Invariants: the code is a bounded non-negative
// number that appears in the body; only 2xx counts as delivered.
#include <cstring>
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/delivery/sender_transfer.hpp"
#include "otpgate/core/delivery/twilio_sms.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < sizeof(long)) {
        return 0;
    }
    long status = 0;
    std::memcpy(&status, data, sizeof status);
    const std::string_view body = fuzz::as_text(data + sizeof status, size - sizeof status);

    const long code = core::twilio_error_code(body);
    FUZZ_CHECK(code >= 0 && code <= 999'999'999);
    if (code != 0) {
        FUZZ_CHECK(body.find("\"code\"") != std::string_view::npos);
        FUZZ_CHECK(body.find(std::to_string(code)) != std::string_view::npos);
    }

    const core::DeliveryResult judged = core::judge_http_status(status);
    FUZZ_CHECK(judged.delivered == (status >= 200 && status <= 299));
    FUZZ_CHECK(!judged.detail.empty());
    return 0;
}
