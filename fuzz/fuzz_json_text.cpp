// json_text.cpp: is_valid_json (the generic gateway's rendered body, checked
// by nlohmann::json plus our own rules) and append_json_escaped (written by
// hand). Invariants: the check never throws; what it accepts has no NUL and
// no byte order mark, stays valid with blanks around it and is refused with
// a second value after it; any bytes escape to a valid JSON string without
// control bytes that decodes back to the input, each byte of a malformed
// UTF-8 sequence read as U+FFFD.
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "otpgate/core/primitives/text.hpp"
#include "otpgate/core/transport/json_text.hpp"

using namespace otpgate;

namespace {

// The input with each byte that starts no well-formed UTF-8 sequence
// replaced by U+FFFD: what the escaped string must decode to.
std::string replaced(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = core::utf8_sequence_length(text, i);
        if (length == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out += text.substr(i, length);
            i += length;
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 16 * 1024) {
        return 0;
    }
    const std::string text(fuzz::as_text(data, size));
    if (core::is_valid_json(text)) {
        FUZZ_CHECK(text.find('\0') == std::string::npos);
        FUZZ_CHECK(!text.starts_with("\xEF\xBB\xBF"));
        FUZZ_CHECK(core::is_valid_json(" \r\n\t" + text + "\t\n\r "));
        FUZZ_CHECK(!core::is_valid_json(text + " " + text));
        FUZZ_CHECK(!core::is_valid_json(text + ","));
    }

    std::string escaped = "[\"";
    core::append_json_escaped(escaped, text);
    escaped += "\"]";
    FUZZ_CHECK(core::is_valid_json(escaped));
    for (const char c : escaped) {
        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    }
    const auto decoded = nlohmann::json::parse(escaped, nullptr, false);
    FUZZ_CHECK(decoded.is_array() && decoded.size() == 1 && decoded[0].is_string());
    FUZZ_CHECK(decoded[0].get<std::string>() == replaced(text));
    return 0;
}
