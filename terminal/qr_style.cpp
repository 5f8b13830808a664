#include "qr_style.hpp"

namespace otpgate::cli {

const std::vector<std::string>& qr_style_names() {
    static const std::vector<std::string> names = {"auto",  "ansi",  "utf8",
                                                   "utf8i", "ascii", "none"};
    return names;
}

std::optional<QrStyle> parse_qr_style(std::string_view name) {
    if (name == "auto") {
        return QrStyle::automatic;
    }
    if (name == "ansi") {
        return QrStyle::ansi;
    }
    if (name == "utf8") {
        return QrStyle::utf8;
    }
    if (name == "utf8i") {
        return QrStyle::utf8_inverted;
    }
    if (name == "ascii") {
        return QrStyle::ascii;
    }
    if (name == "none") {
        return QrStyle::none;
    }
    return std::nullopt;
}

std::string_view qr_style_name(QrStyle style) {
    switch (style) {
        case QrStyle::automatic: return "auto";
        case QrStyle::ansi: return "ansi";
        case QrStyle::utf8: return "utf8";
        case QrStyle::utf8_inverted: return "utf8i";
        case QrStyle::ascii: return "ascii";
        case QrStyle::none: return "none";
    }
    return "auto";
}

QrStyle resolve_qr_style(QrStyle requested, bool stdout_is_terminal, const char* term) {
    if (requested != QrStyle::automatic) {
        return requested;
    }
    const bool dumb = term != nullptr && std::string_view(term) == "dumb";
    return stdout_is_terminal && !dumb ? QrStyle::ansi : QrStyle::utf8;
}

}  // namespace otpgate::cli
