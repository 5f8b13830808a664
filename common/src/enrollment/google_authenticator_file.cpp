#include "otpgate/core/enrollment/google_authenticator_file.hpp"

#include <sys/stat.h>

#include <charconv>
#include <set>

#include "otpgate/core/primitives/base32.hpp"
#include "otpgate/core/system/privilege_drop.hpp"
#include "otpgate/core/system/safe_file.hpp"

namespace otpgate::core {
namespace {

Error corrupt(unsigned line_number, const std::string& what) {
    return make_error(ErrorKind::corrupt, "line " + std::to_string(line_number) + ": " + what);
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// The words of an option's value, split on blanks as the module does.
std::vector<std::string_view> words_of(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_blank(text[i])) {
            ++i;
        }
        const std::size_t start = i;
        while (i < text.size() && !is_blank(text[i])) {
            ++i;
        }
        if (i > start) {
            words.push_back(text.substr(start, i - start));
        }
    }
    return words;
}

// Plain decimal, an optional '-' only where `allow_negative`; no '+', no
// blanks, no overflow (strtol's leniency is not needed for files the
// module wrote, and a hand-edited oddity is better refused than guessed).
std::optional<std::int64_t> parse_integer(std::string_view text, bool allow_negative) {
    if (text.empty() || (text.front() == '-' && !allow_negative)) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

std::optional<unsigned> parse_in_range(std::string_view text, unsigned low, unsigned high) {
    const auto value = parse_integer(text, false);
    if (!value || *value < low || *value > high) {
        return std::nullopt;
    }
    return static_cast<unsigned>(*value);
}

bool is_option_name(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return false;
    }
    for (const char c : name) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return true;
}

bool is_scratch_code(std::string_view line) {
    if (line.size() != google_authenticator_scratch_digits || line.front() == '0') {
        return false;  // the module reads 10000000 to 99999999 only
    }
    return line.find_first_not_of("0123456789") == std::string_view::npos;
}

// One option line (after `" `) into `file`. nullopt when it was understood.
std::optional<std::string> apply_option(std::string_view name,
                                        const std::vector<std::string_view>& values,
                                        GoogleAuthenticatorFile& file) {
    const auto exactly_one = [&]() -> std::optional<std::string_view> {
        return values.size() == 1 ? std::optional(values[0]) : std::nullopt;
    };
    if (name == "TOTP_AUTH") {
        if (!values.empty()) {
            return "TOTP_AUTH takes no value";
        }
        file.totp = true;
    } else if (name == "HOTP_COUNTER") {
        const auto value = exactly_one();
        file.hotp_counter = value ? parse_integer(*value, true) : std::nullopt;
        if (!file.hotp_counter) {
            return "HOTP_COUNTER needs one whole number";
        }
    } else if (name == "STEP_SIZE") {
        const auto value = exactly_one();
        const auto step = value ? parse_in_range(*value, 1, 60) : std::nullopt;
        if (!step) {
            return "STEP_SIZE needs a number of seconds from 1 to 60";
        }
        file.step_size = *step;
    } else if (name == "WINDOW_SIZE") {
        const auto value = exactly_one();
        const auto window = value ? parse_in_range(*value, 1, 100) : std::nullopt;
        if (!window) {
            return "WINDOW_SIZE needs a number from 1 to 100";
        }
        file.window_size = *window;
    } else if (name == "DISALLOW_REUSE") {
        file.disallow_reuse = true;
        for (const auto word : values) {
            const auto step = parse_integer(word, false);
            if (!step) {
                return "DISALLOW_REUSE lists something other than time steps";
            }
            if (!file.newest_used_step || *step > *file.newest_used_step) {
                file.newest_used_step = *step;
            }
        }
    } else if (name == "RATE_LIMIT") {
        // Then the times of recent logins, which only the module needs.
        const auto logins = values.size() >= 2 ? parse_in_range(values[0], 1, 100) : std::nullopt;
        const auto seconds = values.size() >= 2 ? parse_in_range(values[1], 1, 3600) : std::nullopt;
        if (!logins || !seconds) {
            return "RATE_LIMIT needs a number of logins (1 to 100) and of seconds (1 to 3600)";
        }
        for (std::size_t i = 2; i < values.size(); ++i) {
            if (!parse_integer(values[i], false)) {
                return "RATE_LIMIT lists something other than login times";
            }
        }
        file.rate_limit = GoogleAuthenticatorRateLimit{*logins, *seconds};
    } else if (name == "TIME_SKEW") {
        const auto value = exactly_one();
        const auto skew = value ? parse_integer(*value, true) : std::nullopt;
        if (!skew || *skew < -1'000'000 || *skew > 1'000'000) {
            return "TIME_SKEW needs a whole number of steps";
        }
        file.time_skew = *skew;
    } else if (name == "RESETTING_TIME_SKEW") {
        // The module's notes while it learns a skew; nothing to carry over.
    } else {
        file.unknown_options.emplace_back(name);
    }
    return std::nullopt;
}

}  // namespace

Result<GoogleAuthenticatorFile> parse_google_authenticator_file(std::string_view text) {
    if (text.size() > max_google_authenticator_file_size) {
        return make_error(
            ErrorKind::corrupt,
            "larger than " + std::to_string(max_google_authenticator_file_size) + " bytes");
    }
    if (text.find('\0') != std::string_view::npos) {
        return make_error(ErrorKind::corrupt, "contains NUL bytes");
    }
    GoogleAuthenticatorFile file;
    std::set<std::string_view> options_seen;
    unsigned line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line_number == 1) {
            auto secret = base32_decode(line);
            if (!secret || secret->empty()) {
                return corrupt(1, "not a base32 secret");
            }
            file.secret = std::move(*secret);
            continue;
        }
        if (line.find_first_not_of(" \t") == std::string_view::npos) {
            continue;
        }
        if (line.size() >= 2 && line[0] == '"' && line[1] == ' ') {
            const std::vector<std::string_view> words = words_of(line.substr(2));
            if (words.empty() || !is_option_name(words.front()) || is_blank(line[2])) {
                return corrupt(line_number, "not a valid option line");
            }
            if (!options_seen.insert(words.front()).second) {
                return corrupt(line_number,
                               "option " + std::string(words.front()) + " appears twice");
            }
            const std::vector<std::string_view> values(words.begin() + 1, words.end());
            if (auto problem = apply_option(words.front(), values, file)) {
                return corrupt(line_number, *problem);
            }
            continue;
        }
        if (!is_scratch_code(line)) {
            return corrupt(line_number, "neither an option nor an 8-digit scratch code");
        }
        bool duplicate = false;
        for (const auto& earlier : file.scratch_codes) {
            duplicate = duplicate || earlier.view() == line;
        }
        if (!duplicate) {
            file.scratch_codes.emplace_back(line);
        }
    }
    if (line_number == 0) {
        return make_error(ErrorKind::corrupt, "the file is empty");
    }
    return file;
}

namespace {

// Someone else's file would mostly fail to open with "Permission denied";
// saying whose it is tells an ordinary user why. Only for the message:
// read_checked checks the owner again on what it actually opened.
std::optional<Error> owned_by_someone_else(const std::filesystem::path& path, uid_t owner) {
    struct stat info {};
    if (lstat(path.c_str(), &info) != 0 || info.st_uid == owner || S_ISLNK(info.st_mode)) {
        return std::nullopt;
    }
    return make_error(ErrorKind::unsafe,
                      path.string() + " belongs to uid " + std::to_string(info.st_uid) +
                          ", not to the user (uid " + std::to_string(owner) + ")");
}

}  // namespace

Result<SecretString> read_google_authenticator_text(const UserAccount& account,
                                                    const std::filesystem::path& path) {
    const FileSystemIdentity as_user(account);
    if (auto foreign = owned_by_someone_else(path, account.uid)) {
        return std::move(*foreign);
    }
    FileRules rules;
    rules.owner = account.uid;
    rules.forbidden_mode_bits = 0077;
    rules.max_size = max_google_authenticator_file_size;
    return read_checked(path, rules);
}

}  // namespace otpgate::core
