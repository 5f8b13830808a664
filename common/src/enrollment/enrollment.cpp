#include "otpgate/core/enrollment/enrollment.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "otpgate/core/primitives/base32.hpp"
#include "otpgate/core/primitives/destination.hpp"
#include "otpgate/core/primitives/digest.hpp"
#include "otpgate/core/primitives/hex.hpp"
#include "otpgate/core/primitives/text.hpp"

namespace otpgate::core {
namespace {

void append(SecretString& out, std::string_view text) {
    for (const char c : text) {
        out.push_back(c);
    }
}

void append_line(SecretString& out, std::string_view key, std::string_view value) {
    append(out, key);
    append(out, " = ");
    append(out, value);
    append(out, "\n");
}

template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
    Number value{};
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

Error corrupt(const std::string& what) {
    return make_error(ErrorKind::corrupt, what);
}

constexpr std::string_view checksum_key = "checksum";

std::string sha256_hex(std::string_view text) {
    const Sha256Digest digest = sha256(text);
    return hex_encode(digest.data(), digest.size());
}

// Whether `hex` is the lower-case hex of `digest`, as sha256_hex writes it
// (nothing to allocate at every login).
bool is_hex_of(std::string_view hex, const Sha256Digest& digest) {
    constexpr std::string_view digits = "0123456789abcdef";
    if (hex.size() != 2 * digest.size()) {
        return false;
    }
    for (std::size_t i = 0; i < digest.size(); ++i) {
        if (hex[2 * i] != digits[digest[i] >> 4] || hex[2 * i + 1] != digits[digest[i] & 0x0f]) {
            return false;
        }
    }
    return true;
}

// The last line is `checksum = <SHA-256 of every byte before that line>`.
// Writes are atomic, but a file cut short or edited by hand must never
// parse as a smaller enrollment (one that silently lost backup codes).
// Returns the text the checksum covers.
Result<std::string_view> verified_body(std::string_view text) {
    std::string_view trimmed = text.substr(0, text.find_last_not_of(" \t\r\n") + 1);
    const auto line_start = trimmed.rfind('\n') + 1;  // npos + 1 == 0
    const std::string_view last_line = trimmed.substr(line_start);
    const auto equals = last_line.find('=');
    if (trimmed.empty() || equals == std::string_view::npos ||
        trim_blanks(last_line.substr(0, equals)) != checksum_key) {
        return corrupt("the checksum line is missing (the file is cut short or was edited)");
    }
    const std::string_view body = text.substr(0, line_start);
    if (!is_hex_of(trim_blanks(last_line.substr(equals + 1)), sha256(body))) {
        return corrupt("the checksum does not match (the file is damaged or was edited)");
    }
    return body;
}

// The keys of the format but backup_code (which repeats), in the order
// their absence is reported.
enum class Key : std::size_t {
    backup_iterations,
    backup_salt,
    created,
    id,
    method,
    version,  // every file
    totp_algorithm,
    totp_digits,
    totp_period,
    totp_secret,    // TOTP
    destination,    // SMS, email
    backup_digits,  // optional
};
constexpr std::size_t key_count = static_cast<std::size_t>(Key::backup_digits) + 1;

constexpr std::array<std::string_view, key_count> key_names = {
    "backup_iterations", "backup_salt",    "created",     "id",          "method",
    "version",           "totp_algorithm", "totp_digits", "totp_period", "totp_secret",
    "destination",       "backup_digits"};
static_assert(!key_names.back().empty(), "a name for every key");

constexpr std::array<Key, 6> common_keys = {
    Key::backup_iterations, Key::backup_salt, Key::created, Key::id, Key::method, Key::version};
constexpr std::array<Key, 4> totp_keys = {Key::totp_algorithm, Key::totp_digits, Key::totp_period,
                                          Key::totp_secret};
constexpr std::array<Key, 1> delivered_keys = {Key::destination};

std::string_view name_of(Key key) {
    return key_names[static_cast<std::size_t>(key)];
}

std::optional<Key> key_of(std::string_view name) {
    for (std::size_t i = 0; i < key_count; ++i) {
        if (key_names[i] == name) {
            return static_cast<Key>(i);
        }
    }
    return std::nullopt;
}

// What each key holds; empty when absent (a value may be empty too).
class Values {
public:
    std::string_view operator[](Key key) const { return m_text[static_cast<std::size_t>(key)]; }
    [[nodiscard]] bool has(Key key) const { return m_present[static_cast<std::size_t>(key)]; }
    void set(Key key, std::string_view value) {
        m_text[static_cast<std::size_t>(key)] = value;
        m_present[static_cast<std::size_t>(key)] = true;
    }

private:
    std::array<std::string_view, key_count> m_text{};
    std::array<bool, key_count> m_present{};
};

Result<std::pair<SecretBytes, TotpParameters>> parse_totp(const Values& values) {
    auto secret = base32_decode(values[Key::totp_secret]);
    if (!secret || secret->size() < 10 || secret->size() > 64) {
        return corrupt("bad totp_secret");
    }
    const auto algorithm = parse_hash_algorithm(values[Key::totp_algorithm]);
    const auto digits = parse_number<unsigned>(values[Key::totp_digits]);
    const auto period = parse_number<unsigned>(values[Key::totp_period]);
    if (!algorithm || !digits || *digits < min_otp_digits || *digits > max_otp_digits || !period ||
        *period < 10 || *period > 300) {
        return corrupt("bad TOTP parameters");
    }
    return std::make_pair(std::move(*secret), TotpParameters{*algorithm, *digits, *period});
}

// 0 when absent (otpgate's own codes). A recorded length must leave TOTP
// codes and backup codes apart, as check_code tells them by length, and be
// one that check_code looks up for anyone (is_any_backup_code_length).
Result<unsigned> parse_backup_digits(const Values& values, const Enrollment& enrollment) {
    if (!values.has(Key::backup_digits)) {
        return 0u;
    }
    const auto digits = parse_number<unsigned>(values[Key::backup_digits]);
    if (!digits || !is_any_backup_code_length(*digits) || *digits > max_backup_code_digits ||
        (enrollment.method == Method::totp && *digits == enrollment.totp.digits)) {
        return corrupt("bad backup_digits");
    }
    return *digits;
}

}  // namespace

std::string_view to_string(Method method) {
    switch (method) {
        case Method::totp: return "totp";
        case Method::sms: return "sms";
        case Method::email: return "email";
    }
    return "?";
}

std::optional<Method> parse_method(std::string_view text) {
    for (const Method method : {Method::totp, Method::sms, Method::email}) {
        if (text == to_string(method)) {
            return method;
        }
    }
    return std::nullopt;
}

std::optional<Channel> channel_of(Method method) {
    switch (method) {
        case Method::sms: return Channel::sms;
        case Method::email: return Channel::email;
        case Method::totp: break;
    }
    return std::nullopt;
}

SecretString serialize_enrollment(const Enrollment& enrollment) {
    SecretString out;
    append(out, "# otpgate enrollment, written by `otpgate`; do not edit by hand.\n");
    append_line(out, "version", std::to_string(enrollment_format_version));
    append_line(out, "id", enrollment.id);
    append_line(out, "method", to_string(enrollment.method));
    append_line(out, "created", std::to_string(enrollment.created));
    if (enrollment.method == Method::totp) {
        const SecretString secret = base32_encode(enrollment.totp_secret);
        append_line(out, "totp_secret", secret.view());
        append_line(out, "totp_algorithm", to_string(enrollment.totp.algorithm));
        append_line(out, "totp_digits", std::to_string(enrollment.totp.digits));
        append_line(out, "totp_period", std::to_string(enrollment.totp.period));
    } else {
        append_line(out, "destination", enrollment.destination);
    }
    append_line(out, "backup_salt", enrollment.backup.salt_hex);
    append_line(out, "backup_iterations", std::to_string(enrollment.backup.iterations));
    // Only imported codes have a recorded length; files without one read
    // as they always did.
    if (enrollment.backup.digits != 0) {
        append_line(out, "backup_digits", std::to_string(enrollment.backup.digits));
    }
    for (const auto& hash : enrollment.backup.hashes_hex) {
        append_line(out, "backup_code", hash);
    }
    append_line(out, checksum_key, sha256_hex(out.view()));
    return out;
}

Result<Enrollment> parse_enrollment(std::string_view file_text) {
    const auto body = verified_body(file_text);
    if (!body) {
        return body.error();
    }
    std::string_view text = *body;
    Values values;
    std::vector<std::string_view> backup_hashes;
    backup_hashes.reserve(16);  // ten by default

    unsigned line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const auto newline = text.find('\n');
        const std::string_view line = trim_blanks(text.substr(0, newline));
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const auto equals = line.find('=');
        const auto where = [line_number] { return "line " + std::to_string(line_number); };
        if (equals == std::string_view::npos) {
            return corrupt(where() + ": expected 'key = value'");
        }
        const std::string_view name = trim_blanks(line.substr(0, equals));
        const std::string_view value = trim_blanks(line.substr(equals + 1));
        if (name == "backup_code") {
            backup_hashes.push_back(value);
            continue;
        }
        const auto key = key_of(name);
        if (!key) {
            return corrupt(where() + ": unknown key '" + std::string(name) + "'");
        }
        if (values.has(*key)) {
            return corrupt(where() + ": '" + std::string(name) + "' appears twice");
        }
        values.set(*key, value);
    }
    if (!values.has(Key::method)) {
        return corrupt("missing 'method'");
    }
    const auto parsed_method = parse_method(values[Key::method]);
    if (!parsed_method) {
        return corrupt("unknown method '" + std::string(values[Key::method]) + "'");
    }
    const bool is_totp = *parsed_method == Method::totp;
    const std::span<const Key> method_keys =
        is_totp ? std::span<const Key>(totp_keys) : std::span<const Key>(delivered_keys);
    const std::span<const Key> foreign_keys =
        is_totp ? std::span<const Key>(delivered_keys) : std::span<const Key>(totp_keys);
    for (const auto required : {std::span<const Key>(common_keys), method_keys}) {
        for (const Key key : required) {
            if (!values.has(key)) {
                return corrupt("missing '" + std::string(name_of(key)) + "'");
            }
        }
    }
    for (const Key key : foreign_keys) {
        if (values.has(key)) {
            return corrupt("'" + std::string(name_of(key)) + "' does not belong to method " +
                           std::string(values[Key::method]));
        }
    }

    if (parse_number<int>(values[Key::version]) != enrollment_format_version) {
        return corrupt("unsupported version '" + std::string(values[Key::version]) + "'");
    }
    Enrollment enrollment;
    enrollment.id = std::string(values[Key::id]);
    if (enrollment.id.size() != 32 || !is_lower_hex(enrollment.id)) {
        return corrupt("bad id");
    }
    enrollment.method = *parsed_method;
    const auto created = parse_number<std::int64_t>(values[Key::created]);
    if (!created) {
        return corrupt("bad created time");
    }
    enrollment.created = *created;
    if (enrollment.method != Method::totp) {
        enrollment.destination = std::string(values[Key::destination]);
        const bool valid = enrollment.method == Method::sms
                               ? is_e164(enrollment.destination)
                               : normalize_email(enrollment.destination) == enrollment.destination;
        if (!valid) {
            return corrupt("bad destination");
        }
    } else if (auto parsed = parse_totp(values); !parsed) {
        return parsed.error();
    } else {
        enrollment.totp_secret = std::move(parsed->first);
        enrollment.totp = parsed->second;
    }

    // The count is kept to tell whether the codes were hashed at the host's
    // count (backup_code_iterations); a check never derives at it.
    enrollment.backup.salt_hex = std::string(values[Key::backup_salt]);
    const auto iterations = parse_number<unsigned>(values[Key::backup_iterations]);
    if (!hex_decode(enrollment.backup.salt_hex) || enrollment.backup.salt_hex.size() < 16 ||
        !iterations || *iterations < 1000 || *iterations > 10'000'000) {
        return corrupt("bad backup code parameters");
    }
    enrollment.backup.iterations = *iterations;
    if (auto digits = parse_backup_digits(values, enrollment); !digits) {
        return digits.error();
    } else {
        enrollment.backup.digits = *digits;
    }
    if (backup_hashes.size() > max_backup_codes) {
        return corrupt("more than " + std::to_string(max_backup_codes) + " backup codes");
    }
    enrollment.backup.hashes_hex.reserve(backup_hashes.size());
    for (const auto hash : backup_hashes) {
        if (hash.size() != 64 || !is_lower_hex(hash)) {
            return corrupt("bad backup_code hash");
        }
        enrollment.backup.hashes_hex.emplace_back(hash);
    }
    return enrollment;
}

}  // namespace otpgate::core
