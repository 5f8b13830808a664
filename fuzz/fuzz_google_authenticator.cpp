// parse_google_authenticator_file: ~/.google_authenticator, read by
// `otpgate import google-authenticator` from a file the user controls.
// Invariants: what is accepted is within the documented ranges; CRLF line
// endings read the same as LF.
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/enrollment/google_authenticator_file.hpp"

using namespace otpgate;

namespace {

void check_ranges(const core::GoogleAuthenticatorFile& file) {
    FUZZ_CHECK(!file.secret.empty());
    FUZZ_CHECK(file.step_size >= 1 && file.step_size <= 60);
    FUZZ_CHECK(file.window_size >= 1 && file.window_size <= 100);
    FUZZ_CHECK(file.time_skew >= -1'000'000 && file.time_skew <= 1'000'000);
    for (std::size_t i = 0; i < file.scratch_codes.size(); ++i) {
        const std::string_view code = file.scratch_codes[i].view();
        FUZZ_CHECK(code.size() == core::google_authenticator_scratch_digits && code[0] != '0');
        FUZZ_CHECK(code.find_first_not_of("0123456789") == std::string_view::npos);
        for (std::size_t k = 0; k < i; ++k) {
            FUZZ_CHECK(file.scratch_codes[k].view() != code);
        }
    }
    if (file.rate_limit) {
        FUZZ_CHECK(file.rate_limit->logins >= 1 && file.rate_limit->logins <= 100);
        FUZZ_CHECK(file.rate_limit->seconds >= 1 && file.rate_limit->seconds <= 3600);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > core::max_google_authenticator_file_size + 16) {
        return 0;
    }
    const std::string_view text = fuzz::as_text(data, size);
    const auto parsed = core::parse_google_authenticator_file(text);
    if (parsed) {
        check_ranges(*parsed);
    } else {
        FUZZ_CHECK(parsed.error().kind == core::ErrorKind::corrupt);
    }

    if (text.find('\r') != std::string_view::npos) {
        return 0;
    }
    std::string crlf;
    for (const char c : text) {
        if (c == '\n') {
            crlf.push_back('\r');
        }
        crlf.push_back(c);
    }
    if (crlf.size() > core::max_google_authenticator_file_size) {
        return 0;
    }
    const auto from_crlf = core::parse_google_authenticator_file(crlf);
    FUZZ_CHECK(from_crlf.ok() == parsed.ok());
    if (parsed) {
        FUZZ_CHECK(from_crlf->secret == parsed->secret);
        FUZZ_CHECK(from_crlf->scratch_codes.size() == parsed->scratch_codes.size());
        FUZZ_CHECK(from_crlf->hotp_counter == parsed->hotp_counter);
        FUZZ_CHECK(from_crlf->newest_used_step == parsed->newest_used_step);
        FUZZ_CHECK(from_crlf->unknown_options == parsed->unknown_options);
    }
    return 0;
}
