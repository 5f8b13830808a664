// The QR code styles of `otpgate enroll totp --qr` and otpgate-verify's
// `enroll-totp --qr`: their names and which one `auto` means. Apart from
// qr_render so that the helper's request grammar (and its fuzzer) need no
// libqrencode.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otpgate::cli {

enum class QrStyle {
    automatic,      // ansi at a terminal (unless TERM=dumb), else utf8
    ansi,           // half blocks, black on bright white: reads on dark and light themes
    utf8,           // half blocks draw the dark modules (light terminals)
    utf8_inverted,  // half blocks draw the light modules (dark terminals)
    ascii,          // "##" per dark module, one module row per line
    none,
};

// The names accepted by --qr, in the order the help shows them.
const std::vector<std::string>& qr_style_names();
std::optional<QrStyle> parse_qr_style(std::string_view name);

// The name parse_qr_style reads back as `style`.
std::string_view qr_style_name(QrStyle style);

// Turns `automatic` into a concrete style; other styles are returned as is.
QrStyle resolve_qr_style(QrStyle requested, bool stdout_is_terminal, const char* term);

}  // namespace otpgate::cli
