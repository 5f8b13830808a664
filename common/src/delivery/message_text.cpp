#include "otpgate/core/delivery/message_text.hpp"

#include <cstdint>
#include <vector>

namespace otpgate::core {
namespace {

// Decodes UTF-8 leniently: an invalid byte becomes U+FFFD.
std::vector<char32_t> code_points(std::string_view text) {
    std::vector<char32_t> out;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<std::uint8_t>(text[i]);
        std::size_t length = 1;
        char32_t value = lead;
        if (lead >= 0xC0 && lead < 0xE0) {
            length = 2;
            value = lead & 0x1Fu;
        } else if (lead >= 0xE0 && lead < 0xF0) {
            length = 3;
            value = lead & 0x0Fu;
        } else if (lead >= 0xF0 && lead < 0xF8) {
            length = 4;
            value = lead & 0x07u;
        } else if (lead >= 0x80) {
            length = 0;
        }
        bool valid = length > 0 && i + length <= text.size();
        for (std::size_t k = 1; valid && k < length; ++k) {
            const auto byte = static_cast<std::uint8_t>(text[i + k]);
            valid = (byte & 0xC0) == 0x80;
            value = (value << 6) | (byte & 0x3Fu);
        }
        out.push_back(valid ? value : U'\uFFFD');
        i += valid ? length : 1;
    }
    return out;
}

bool is_gsm_basic(char32_t c) {
    if ((c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9')) {
        return true;
    }
    static constexpr std::u32string_view basic =
        U" !\"#%&'()*+,-./:;<=>?@_$\n\r"
        U"£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà";
    return basic.find(c) != std::u32string_view::npos;
}

bool is_gsm_extension(char32_t c) {
    static constexpr std::u32string_view extension = U"^{}\\[~]|€\f";
    return extension.find(c) != std::u32string_view::npos;
}

}  // namespace

std::string_view channel_name(Channel channel) {
    return channel == Channel::sms ? "sms" : "email";
}

std::string_view message_kind_name(MessageKind kind) {
    switch (kind) {
        case MessageKind::login_code: return "login_code";
        case MessageKind::verification_code: return "verification_code";
        case MessageKind::change_code: return "change_code";
        case MessageKind::notice: return "notice";
    }
    return "unknown";
}

TemplateValues template_values(const OutgoingMessage& message, const std::string& minutes_text) {
    TemplateValues values;
    values.to = message.to;
    values.to_digits = std::string_view(message.to);
    if (!values.to_digits.empty() && values.to_digits.front() == '+') {
        values.to_digits.remove_prefix(1);
    }
    values.code = message.code.view();
    values.user = message.user;
    values.host = message.host;
    values.minutes = minutes_text;
    return values;
}

SecretString compose_sms_text(const DeliveryConfig& config, const OutgoingMessage& message) {
    const std::string minutes = std::to_string(message.valid_minutes);
    const TemplateValues values = template_values(message, minutes);
    switch (message.kind) {
        case MessageKind::login_code:
            return render_template(config.sms_template, values, Escaping::none);
        case MessageKind::verification_code:
            return render_template(config.sms_verify_template, values, Escaping::none);
        case MessageKind::change_code:
            return render_template(config.sms_change_template, values, Escaping::none);
        case MessageKind::notice: break;
    }
    return SecretString(message.notice_text);
}

EmailText compose_email_text(const DeliveryConfig& config, const OutgoingMessage& message) {
    const std::string minutes = std::to_string(message.valid_minutes);
    const TemplateValues values = template_values(message, minutes);
    EmailText text;
    switch (message.kind) {
        case MessageKind::login_code:
            text.subject = render_template(config.email_subject, values, Escaping::none);
            text.body = render_template(config.email_template, values, Escaping::none);
            break;
        case MessageKind::verification_code:
            text.subject = render_template(config.email_verify_subject, values, Escaping::none);
            text.body = render_template(config.email_verify_template, values, Escaping::none);
            break;
        case MessageKind::change_code:
            text.subject = render_template(config.email_change_subject, values, Escaping::none);
            text.body = render_template(config.email_change_template, values, Escaping::none);
            break;
        case MessageKind::notice:
            text.subject = render_template(config.email_notice_subject, values, Escaping::none);
            text.body = SecretString(message.notice_text);
            break;
    }
    return text;
}

SmsSize sms_size(std::string_view utf8_text) {
    const auto characters = code_points(utf8_text);
    SmsSize gsm;
    for (const char32_t c : characters) {
        if (is_gsm_basic(c)) {
            gsm.units += 1;
        } else if (is_gsm_extension(c)) {
            gsm.units += 2;
        } else {
            gsm.gsm7 = false;
            break;
        }
    }
    if (gsm.gsm7) {
        return gsm;
    }
    SmsSize ucs2;
    ucs2.gsm7 = false;
    for (const char32_t c : characters) {
        ucs2.units += c > 0xFFFF ? 2 : 1;
    }
    return ucs2;
}

}  // namespace otpgate::core
