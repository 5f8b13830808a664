#include "otpgate/core/system/safe_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {
namespace {

enum class LineBreaks { escape, keep };

// "\xNN" for one byte.
std::array<char, 4> hex_escape(std::uint8_t byte) {
    static constexpr char hex[] = "0123456789abcdef";
    return {'\\', 'x', hex[byte >> 4], hex[byte & 0x0F]};
}

// The one pass over `text`: hands `out` runs of bytes that may pass as
// they are (whole characters only) and escapes, never splitting either.
template <typename Out>
void escape_into(Out& out, std::string_view text, LineBreaks breaks) {
    std::size_t run_start = 0;
    std::size_t i = 0;
    const auto end_run = [&] {
        if (i > run_start) {
            out.run(text.substr(run_start, i - run_start));
        }
    };
    while (i < text.size()) {
        const auto byte = static_cast<std::uint8_t>(text[i]);
        if (byte >= 0x20 && byte < 0x7F) {
            ++i;
            continue;
        }
        if (byte == '\n' && breaks == LineBreaks::keep) {
            ++i;
            continue;
        }
        std::size_t length = byte < 0x80 ? 1 : utf8_sequence_length(text, i);
        if (length > 1 && !is_hidden_control(utf8_code_point(text.substr(i, length)))) {
            i += length;
            continue;
        }
        end_run();
        if (byte == '\n' || byte == '\r' || byte == '\t') {
            out.escape(byte == '\n' ? "\\n" : byte == '\r' ? "\\r" : "\\t");
        } else {
            // A control byte, each byte of a hidden control, or a byte that
            // is not part of well-formed UTF-8 (length 0).
            length = std::max<std::size_t>(length, 1);
            for (std::size_t k = 0; k < length; ++k) {
                const auto escaped = hex_escape(static_cast<std::uint8_t>(text[i + k]));
                out.escape({escaped.data(), escaped.size()});
            }
        }
        i += length;
        run_start = i;
    }
    end_run();
}

// Collects one line. When it would grow past its limit, it goes back to
// the last point within the limit, less room for the marker, where it can
// be cut (between characters, never inside an escape) and ends there.
class BoundedLine {
public:
    explicit BoundedLine(std::size_t max_size) : m_max(max_size) {}

    void run(std::string_view text) { add(text, true); }
    void escape(std::string_view escaped) { add(escaped, false); }
    std::string take() { return std::move(m_line); }

private:
    static constexpr std::string_view marker = "...";

    void add(std::string_view piece, bool splittable) {
        if (m_cut) {
            return;
        }
        const std::size_t start = m_line.size();
        const std::size_t reserve = m_max >= marker.size() ? m_max - marker.size() : m_max;
        if (start <= reserve) {
            std::size_t keep = std::min(piece.size(), reserve - start);
            if (keep < piece.size() && !splittable) {
                keep = 0;
            }
            // A run holds well-formed UTF-8 only: backing off continuation
            // bytes lands between two characters.
            while (keep > 0 && keep < piece.size() &&
                   (static_cast<std::uint8_t>(piece[keep]) & 0xC0) == 0x80) {
                --keep;
            }
            m_boundary = start + keep;
        }
        if (start + piece.size() <= m_max) {
            m_line += piece;
            return;
        }
        if (m_boundary > start) {
            m_line += piece.substr(0, m_boundary - start);
        } else {
            m_line.resize(m_boundary);
        }
        if (m_max >= marker.size()) {
            m_line += marker;
        }
        m_cut = true;
    }

    std::size_t m_max;
    std::string m_line;
    std::size_t m_boundary = 0;
    bool m_cut = false;
};

class StreamWriter {
public:
    explicit StreamWriter(std::FILE* stream) : m_stream(stream) {}
    void run(std::string_view text) { std::fwrite(text.data(), 1, text.size(), m_stream); }
    void escape(std::string_view text) { run(text); }

private:
    std::FILE* m_stream;
};

}  // namespace

std::string one_line(std::string_view text, std::size_t max_size) {
    BoundedLine line(max_size);
    escape_into(line, text, LineBreaks::escape);
    return line.take();
}

void write_text(std::FILE* stream, std::string_view text) {
    StreamWriter writer(stream);
    escape_into(writer, text, LineBreaks::keep);
}

void write_line(std::FILE* stream, std::string_view prefix, std::string_view text) {
    StreamWriter writer(stream);
    escape_into(writer, prefix, LineBreaks::escape);
    escape_into(writer, text, LineBreaks::escape);
    std::fputc('\n', stream);
}

bool is_hidden_control(char32_t code_point) {
    return (code_point >= 0x80 && code_point <= 0x9F) || code_point == 0xAD ||
           code_point == 0x061C || (code_point >= 0x200B && code_point <= 0x200F) ||
           (code_point >= 0x2028 && code_point <= 0x202E) ||
           (code_point >= 0x2060 && code_point <= 0x2069) || code_point == 0xFEFF;
}

}  // namespace otpgate::core
