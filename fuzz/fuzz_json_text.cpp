// json_text.cpp: is_valid_json (the generic gateway's rendered body) and
// append_json_escaped. Invariants: any bytes escape to a valid JSON
// string; the checker agrees with nlohmann::json (an independent parser)
// on documents within its nesting limit.
#include <string>

#if __has_include(<nlohmann/json.hpp>)
#include <nlohmann/json.hpp>
#define OTPGATE_FUZZ_ORACLE 1
#endif

#include "fuzz_support.hpp"
#include "otpgate/core/transport/json_text.hpp"

using namespace otpgate;

namespace {

// Deepest bracket nesting, counting brackets inside strings too, so a
// result at or under the checker's limit is conservative.
std::size_t bracket_depth(std::string_view text) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    for (const char c : text) {
        if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

// nlohmann refuses numbers out of a double's range ("number overflow"),
// which RFC 8259 allows: an exponent, or a very long run of digits.
bool may_overflow_a_double(std::string_view text) {
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        run = digit ? run + 1 : 0;
        if (run > 300 || ((text[i] == 'e' || text[i] == 'E') && i > 0 && text[i - 1] >= '0' &&
                          text[i - 1] <= '9')) {
            return true;
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 16 * 1024) {
        return 0;
    }
    const std::string_view text = fuzz::as_text(data, size);
    const bool valid = core::is_valid_json(text);
#ifdef OTPGATE_FUZZ_ORACLE
    // nlohmann reads a NUL byte as the end of the input; we do not.
    if (bracket_depth(text) <= 30 && text.find('\0') == std::string_view::npos) {
        const bool oracle = nlohmann::json::accept(text.begin(), text.end()) ||
                            (valid && may_overflow_a_double(text));
        if (valid != oracle) {
            std::fprintf(stderr, "is_valid_json says %d, nlohmann says %d\n", valid, oracle);
        }
        FUZZ_CHECK(valid == oracle);
    }
#else
    (void)bracket_depth;
    (void)may_overflow_a_double;
    (void)valid;
#endif

    std::string escaped = "[\"";
    core::append_json_escaped(escaped, text);
    escaped += "\"]";
    FUZZ_CHECK(core::is_valid_json(escaped));
    for (const char c : escaped) {
        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    }
    return 0;
}
