#include "qr_render.hpp"

#include <cerrno>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include <openssl/crypto.h>
#include <qrencode.h>

namespace otpgate::cli {
namespace {

constexpr int quiet_zone_modules = 4;

// libqrencode's buffer holds the encoded secret: wipe it before freeing.
struct QrCodeDeleter {
    void operator()(QRcode* code) const noexcept {
        if (code->data != nullptr && code->width > 0) {
            OPENSSL_cleanse(code->data, static_cast<std::size_t>(code->width) *
                                            static_cast<std::size_t>(code->width));
        }
        QRcode_free(code);
    }
};
using QrCodeHandle = std::unique_ptr<QRcode, QrCodeDeleter>;

// The module grid with the quiet zone around it; anything outside is light.
class PaddedModules {
public:
    explicit PaddedModules(const QRcode& code) : m_code(code) {}

    [[nodiscard]] int size() const noexcept { return m_code.width + 2 * quiet_zone_modules; }

    [[nodiscard]] bool dark(int x, int y) const noexcept {
        const int qx = x - quiet_zone_modules;
        const int qy = y - quiet_zone_modules;
        if (qx < 0 || qy < 0 || qx >= m_code.width || qy >= m_code.width) {
            return false;
        }
        const auto index = static_cast<std::size_t>(qy) * static_cast<std::size_t>(m_code.width) +
                           static_cast<std::size_t>(qx);
        return (m_code.data[index] & 1U) != 0;  // bit 0: dark module
    }

private:
    const QRcode& m_code;
};

void append(core::SecretString& out, std::string_view text) {
    for (const char c : text) {
        out.push_back(c);
    }
}

// Two module rows per text line: the upper half of a character cell is one
// row, the lower half the next.
core::SecretString render_half_blocks(const PaddedModules& modules, bool glyph_draws_dark,
                                      std::string_view line_start, std::string_view line_end) {
    core::SecretString out;
    const int size = modules.size();
    for (int y = 0; y < size; y += 2) {
        append(out, line_start);
        for (int x = 0; x < size; ++x) {
            // A last odd row gets a light row below it, like the quiet zone.
            const bool top_dark = modules.dark(x, y);
            const bool bottom_dark = y + 1 < size && modules.dark(x, y + 1);
            const bool ink_top = top_dark == glyph_draws_dark;
            const bool ink_bottom = bottom_dark == glyph_draws_dark;
            if (ink_top && ink_bottom) {
                append(out, "\u2588");  // █
            } else if (ink_top) {
                append(out, "\u2580");  // ▀
            } else if (ink_bottom) {
                append(out, "\u2584");  // ▄
            } else {
                append(out, " ");
            }
        }
        append(out, line_end);
        append(out, "\n");
    }
    return out;
}

core::SecretString render_ascii(const PaddedModules& modules) {
    core::SecretString out;
    const int size = modules.size();
    for (int y = 0; y < size; ++y) {
        for (int x = 0; x < size; ++x) {
            append(out, modules.dark(x, y) ? "##" : "  ");
        }
        append(out, "\n");
    }
    return out;
}

}  // namespace

core::Result<core::SecretString> render_qr(std::string_view text, QrStyle style) {
    if (style == QrStyle::none) {
        return core::SecretString{};
    }
    // 8-bit mode keeps the URI byte for byte; level M survives a smudged
    // screen photo and keeps the code small enough for an 80-column terminal.
    errno = 0;
    const QrCodeHandle code(QRcode_encodeData(static_cast<int>(text.size()),
                                              reinterpret_cast<const unsigned char*>(text.data()),
                                              0, QR_ECLEVEL_M));
    if (!code) {
        if (errno == ENOMEM) {
            throw std::bad_alloc();
        }
        if (errno == ERANGE) {
            return core::make_error(core::ErrorKind::invalid_input,
                                    "the URI is too long for a QR code");
        }
        throw std::runtime_error("libqrencode failed to encode the URI");
    }
    const PaddedModules modules(*code);
    switch (style) {
        case QrStyle::ansi:
            // Explicit colours so the code reads the same on dark and light
            // themes; reset at each line end so a resized terminal or a
            // pager never smears the background over the rest of the line.
            return render_half_blocks(modules, true, "\x1b[30;107m", "\x1b[0m");
        case QrStyle::utf8: return render_half_blocks(modules, true, "", "");
        case QrStyle::utf8_inverted: return render_half_blocks(modules, false, "", "");
        case QrStyle::ascii: return render_ascii(modules);
        case QrStyle::automatic:
        case QrStyle::none: break;
    }
    throw std::logic_error("render_qr: unresolved QR style");
}

}  // namespace otpgate::cli
