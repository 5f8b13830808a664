// one_line, write_text and append_json_escaped (the sanitizer every log line
// and terminal write goes through). Invariants: no control byte, no
// malformed UTF-8 and no hidden control ever comes out; a line is at most
// its limit and, when cut, a prefix of the whole line plus "..."; the rule
// is idempotent; write_text keeps exactly the input's line feeds; JSON
// escaping leaves nothing for the sanitizer to change. The first byte picks
// the line's limit.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/primitives/text.hpp"
#include "otpgate/core/system/safe_text.hpp"
#include "otpgate/core/transport/json_text.hpp"

using namespace otpgate;

namespace {

// Only printable ASCII, well-formed UTF-8 without hidden controls and, if
// allowed, line feeds.
bool is_safe(std::string_view text, bool line_feeds) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if ((byte >= 0x20 && byte < 0x7F) || (line_feeds && byte == '\n')) {
            ++i;
            continue;
        }
        const std::size_t length = byte < 0x80 ? 0 : core::utf8_sequence_length(text, i);
        if (length == 0 || core::is_hidden_control(core::utf8_code_point(text.substr(i, length)))) {
            return false;
        }
        i += length;
    }
    return true;
}

std::string terminal_text(std::string_view text) {
    char* buffer = nullptr;
    std::size_t size = 0;
    std::FILE* stream = open_memstream(&buffer, &size);
    FUZZ_CHECK(stream != nullptr);
    core::write_text(stream, text);
    std::fclose(stream);
    std::string out(buffer, size);
    std::free(buffer);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::size_t limit = data[0];
    const std::string_view text = fuzz::as_text(data + 1, size - 1);

    const std::string whole = core::one_line(text, std::string::npos);
    FUZZ_CHECK(is_safe(whole, false));
    FUZZ_CHECK(core::one_line(whole, std::string::npos) == whole);
    FUZZ_CHECK(whole.size() <= 4 * text.size());

    const std::string line = core::one_line(text, limit);
    FUZZ_CHECK(line.size() <= limit && is_safe(line, false));
    if (whole.size() <= limit) {
        FUZZ_CHECK(line == whole);
    } else if (limit >= 3) {
        FUZZ_CHECK(line.size() >= 3 && line.compare(line.size() - 3, 3, "...") == 0);
        FUZZ_CHECK(whole.compare(0, line.size() - 3, line, 0, line.size() - 3) == 0);
    } else {
        FUZZ_CHECK(whole.compare(0, line.size(), line) == 0);
    }

    const std::string shown = terminal_text(text);
    FUZZ_CHECK(is_safe(shown, true));
    FUZZ_CHECK(std::count(shown.begin(), shown.end(), '\n') ==
               std::count(text.begin(), text.end(), '\n'));

    std::string json;
    core::append_json_escaped(json, text);
    FUZZ_CHECK(is_safe(json, false));
    return 0;
}
