// format_email: the RFC 5322 message built from a rendered template (user
// and host names in it come from outside) and email_from. Input: 8 bytes
// of time, a selector byte, then to NUL from NUL subject NUL body.
// Invariants: no header can be injected (the header block holds exactly
// the headers we write, folded lines aside); with CRLF endings there is no
// bare CR or LF; no line is longer than RFC 5322 and RFC 2045 allow.
#include <cstring>
#include <ctime>
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/delivery/email_format.hpp"

using namespace otpgate;

namespace {

class CountingRandom final : public core::RandomSource {
public:
    void fill(std::uint8_t* out, std::size_t size) override {
        for (std::size_t i = 0; i < size; ++i) {
            out[i] = static_cast<std::uint8_t>(m_next++);
        }
    }

private:
    unsigned m_next = 0;
};

constexpr std::string_view header_names[] = {
    "Date: ",          "From: ",         "To: ",           "Subject: ",
    "Message-ID: ",    "MIME-Version: ", "Content-Type: ", "Content-Transfer-Encoding: ",
    "Auto-Submitted: "};

bool starts_with_header(std::string_view line) {
    for (const auto name : header_names) {
        if (line.substr(0, name.size()) == name) {
            return true;
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 9 || size > 16 * 1024) {
        return 0;
    }
    std::int64_t when = 0;
    std::memcpy(&when, data, sizeof when);
    const bool crlf = (data[8] & 1) != 0;
    auto parts = fuzz::split(fuzz::as_text(data + 9, size - 9), '\0');
    parts.resize(4);

    (void)core::rfc5322_date(static_cast<std::time_t>(when));
    const std::time_t now = static_cast<std::time_t>(when & 0xffffffffff);  // until year 36812

    core::EmailFields fields;
    fields.to = parts[0];
    if (!parts[1].empty()) {
        fields.from = core::parse_mail_address(parts[1]);
    }
    fields.subject = parts[2];
    fields.body = parts[3];
    CountingRandom random;
    const auto message = core::format_email(fields, now, random,
                                            crlf ? core::LineEnding::crlf : core::LineEnding::lf);
    if (!message) {
        return 0;
    }
    const std::string_view text = message->view();
    const std::string_view eol = crlf ? "\r\n" : "\n";
    if (crlf) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\n') {
                FUZZ_CHECK(i > 0 && text[i - 1] == '\r');
            }
            if (text[i] == '\r') {
                FUZZ_CHECK(i + 1 < text.size() && text[i + 1] == '\n');
            }
        }
    }
    const auto end_of_headers = text.find(std::string(eol) + std::string(eol));
    FUZZ_CHECK(end_of_headers != std::string_view::npos);
    const std::string_view headers = text.substr(0, end_of_headers + eol.size());
    const bool quoted_printable =
        headers.find("Content-Transfer-Encoding: quoted-printable") != std::string_view::npos;
    std::size_t subjects = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find(eol, start);
        FUZZ_CHECK(end != std::string_view::npos);  // every line ends with eol
        const std::string_view line = text.substr(start, end - start);
        if (start < headers.size()) {
            FUZZ_CHECK(starts_with_header(line) || (!line.empty() && line[0] == ' '));
            subjects += line.substr(0, 9) == "Subject: " ? 1 : 0;
            if (parts[2].size() <= 200 && parts[1].size() <= 200) {
                FUZZ_CHECK(line.size() <= 998);
            }
        } else if (start > headers.size()) {
            FUZZ_CHECK(line.size() <= (quoted_printable ? 76 : 998));
        }
        start = end + eol.size();
    }
    FUZZ_CHECK(subjects == 1);
    return 0;
}
