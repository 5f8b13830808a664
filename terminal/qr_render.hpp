// Drawing an otpauth:// URI as a QR code in the terminal.
#pragma once

#include <string_view>

#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "qr_style.hpp"

namespace otpgate::cli {

// The QR code (8-bit mode, error correction level M) with a quiet zone of
// four modules, as lines of text ending in '\n'. What it draws is the
// secret, so it lives in a wiping buffer. Empty for QrStyle::none.
// invalid_input when the text does not fit in a QR code.
core::Result<core::SecretString> render_qr(std::string_view text, QrStyle style);

}  // namespace otpgate::cli
