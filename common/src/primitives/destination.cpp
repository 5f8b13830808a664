#include "otpgate/core/primitives/destination.hpp"

#include <cctype>

#include "otpgate/core/primitives/digest.hpp"

#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {
namespace {

constexpr std::string_view bullet = "\u2022";

bool is_atext(char c) {
    // RFC 5322 atext, without the characters that trouble shells and
    // logs more than they help real addresses.
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
        return true;
    }
    return std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
}

bool valid_domain(std::string_view domain) {
    if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) {
        return false;
    }
    std::size_t label_start = 0;
    while (label_start <= domain.size()) {
        const auto dot = domain.find('.', label_start);
        const auto label =
            domain.substr(label_start, dot == std::string_view::npos ? std::string_view::npos
                                                                     : dot - label_start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return false;
        }
        for (const char c : label) {
            if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-') {
                return false;
            }
        }
        if (dot == std::string_view::npos) {
            break;
        }
        label_start = dot + 1;
    }
    return true;
}

std::string bullets(std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        out += bullet;
    }
    return out;
}

}  // namespace

bool is_e164(std::string_view number) {
    if (number.size() < 9 || number.size() > 16 || number.front() != '+' || number[1] == '0') {
        return false;
    }
    for (const char c : number.substr(1)) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

std::optional<std::string> normalize_email(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || address.size() > 254) {
        return std::nullopt;
    }
    const std::string_view local = address.substr(0, at);
    const std::string_view domain = address.substr(at + 1);
    if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
        local.find("..") != std::string_view::npos) {
        return std::nullopt;
    }
    for (const char c : local) {
        if (!is_atext(c)) {
            return std::nullopt;
        }
    }
    if (!valid_domain(domain)) {
        return std::nullopt;
    }
    std::string out(local);
    out.push_back('@');
    out += ascii_lowercase(domain);
    return out;
}

std::string mask_phone(std::string_view e164) {
    if (e164.size() <= 6) {
        return bullets(e164.size());
    }
    return std::string(e164.substr(0, 3)) + bullets(e164.size() - 6) +
           std::string(e164.substr(e164.size() - 3));
}

std::string mask_email(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0) {
        return bullets(3);
    }
    return std::string(address.substr(0, 1)) + bullets(3) + std::string(address.substr(at));
}

std::string mask_destination(Channel channel, std::string_view destination) {
    return channel == Channel::sms ? mask_phone(destination) : mask_email(destination);
}

std::string destination_fingerprint(Channel channel, std::string_view destination) {
    std::string input = channel == Channel::sms ? "sms:" : "email:";
    input += destination;
    const Sha256Digest digest = sha256(input);
    return hex_encode(digest.data(), digest.size());
}

bool sms_country_allowed(std::string_view e164, const std::vector<std::string>& calling_codes) {
    if (!is_e164(e164)) {
        return false;
    }
    for (const auto& code : calling_codes) {
        if (!code.empty() && e164.substr(1, code.size()) == code) {
            return true;
        }
    }
    return false;
}

std::string_view to_string(Channel channel) {
    return channel == Channel::sms ? "SMS" : "email";
}

}  // namespace otpgate::core
