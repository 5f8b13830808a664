// Drawing an otpauth:// URI as a QR code in the terminal.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"

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

// Turns `automatic` into a concrete style; other styles are returned as is.
QrStyle resolve_qr_style(QrStyle requested, bool stdout_is_terminal, const char* term);

// The QR code (8-bit mode, error correction level M) with a quiet zone of
// four modules, as lines of text ending in '\n'. What it draws is the
// secret, so it lives in a wiping buffer. Empty for QrStyle::none.
// invalid_input when the text does not fit in a QR code.
core::Result<core::SecretString> render_qr(std::string_view text, QrStyle style);

}  // namespace otpgate::cli
