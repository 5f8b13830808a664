#include "offline_cache.hpp"

#include <unistd.h>

#include <charconv>

#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/sealed_box.hpp"
#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/system/safe_file.hpp"
#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {
namespace {

constexpr std::string_view first_line = "otpgate-offline-cache 1";

std::string binding(std::string_view user_name, std::string_view host_name) {
    std::string text = "otpgate offline cache\n";
    text.append(user_name).append("\n").append(host_name);
    return text;
}

FileRules cache_file_rules() {
    FileRules rules;
    rules.owner = geteuid();
    rules.forbidden_mode_bits = 0077;
    rules.max_size = 32 * 1024;
    return rules;
}

template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

// "name=value" lines up to the first empty one; the enrollment follows.
class HeaderReader {
public:
    explicit HeaderReader(std::string_view text) : m_rest(text) {}

    std::optional<std::string_view> line() {
        const auto end = m_rest.find('\n');
        if (end == std::string_view::npos) {
            return std::nullopt;
        }
        const std::string_view line = m_rest.substr(0, end);
        m_rest.remove_prefix(end + 1);
        return line;
    }

    std::optional<std::string_view> field(std::string_view name) {
        const auto text = line();
        if (!text || text->size() <= name.size() || !text->starts_with(name) ||
            (*text)[name.size()] != '=') {
            return std::nullopt;
        }
        return text->substr(name.size() + 1);
    }

    [[nodiscard]] std::string_view rest() const { return m_rest; }

private:
    std::string_view m_rest;
};

Result<CachedLogin> parse_cached_login(std::string_view text) {
    const auto damaged = [](std::string_view what) {
        return make_error(ErrorKind::corrupt, "its " + std::string(what) + " is damaged");
    };
    HeaderReader reader(text);
    if (reader.line() != first_line) {
        return damaged("first line");
    }
    CachedLogin login;
    const auto uid = reader.field("uid");
    const auto parsed_uid = uid ? parse_number<uid_t>(*uid) : std::nullopt;
    const auto online_at = reader.field("online_at");
    const auto parsed_online = online_at ? parse_number<std::int64_t>(*online_at) : std::nullopt;
    const auto id = reader.field("state_enrollment_id");
    const auto step = reader.field("last_totp_step");
    const auto mask = reader.field("backup_used_mask");
    const auto parsed_mask = mask ? parse_number<std::uint64_t>(*mask) : std::nullopt;
    if (!parsed_uid || !parsed_online || !id || !step || !parsed_mask ||
        reader.line() != std::string_view()) {
        return damaged("header");
    }
    login.uid = *parsed_uid;
    login.online_at = *parsed_online;
    login.state_enrollment_id = std::string(*id);
    login.backup_used_mask = *parsed_mask;
    if (*step != "-") {
        login.last_totp_step = parse_number<std::int64_t>(*step);
        if (!login.last_totp_step) {
            return damaged("last_totp_step");
        }
    }
    auto enrollment = parse_enrollment(reader.rest());
    if (!enrollment) {
        return make_error(ErrorKind::corrupt, enrollment.error().message);
    }
    login.enrollment = std::move(*enrollment);
    return login;
}

SecretString serialize_cached_login(const CachedLogin& login) {
    std::string header(first_line);
    header.append("\nuid=").append(std::to_string(login.uid));
    header.append("\nonline_at=").append(std::to_string(login.online_at));
    header.append("\nstate_enrollment_id=").append(login.state_enrollment_id);
    header.append("\nlast_totp_step=")
        .append(login.last_totp_step ? std::to_string(*login.last_totp_step) : "-");
    header.append("\nbackup_used_mask=").append(std::to_string(login.backup_used_mask));
    header.append("\n\n");
    SecretString text(header);
    const SecretString enrollment = serialize_enrollment(login.enrollment);
    text.append(enrollment.view().data(), enrollment.size());
    return text;
}

}  // namespace

Result<void> OfflineCache::save(std::span<const std::uint8_t> key, const std::string& user_name,
                                const CachedLogin& login) const {
    if (auto valid = validate_user_name(user_name); !valid) {
        return valid.error();
    }
    if (auto directory = make_private_subdirectory(m_directory); !directory) {
        return directory.error();
    }
    const SecretString text = serialize_cached_login(login);
    OpenSslRandom random;
    const auto box =
        seal(key, std::span(reinterpret_cast<const std::uint8_t*>(text.view().data()), text.size()),
             binding(user_name, m_host_name), random);
    return replace_file_atomically(
        m_directory / user_name,
        std::string_view(reinterpret_cast<const char*>(box.data()), box.size()), 0600,
        m_lock_timeout);
}

Result<CachedLogin> OfflineCache::load(std::span<const std::uint8_t> key,
                                       const std::string& user_name) const {
    if (auto valid = validate_user_name(user_name); !valid) {
        return valid.error();
    }
    if (auto directory = check_private_subdirectory(m_directory); !directory) {
        return directory.error();
    }
    const std::filesystem::path path = m_directory / user_name;
    const auto box = read_checked(path, cache_file_rules());
    if (!box) {
        return box.error();
    }
    auto opened = open_sealed(
        key,
        std::span(reinterpret_cast<const std::uint8_t*>(box->view().data()), box->view().size()),
        binding(user_name, m_host_name));
    if (!opened) {
        return make_error(ErrorKind::corrupt, path.string() + ": " + opened.error().message);
    }
    auto login = parse_cached_login(
        std::string_view(reinterpret_cast<const char*>(opened->data()), opened->size()));
    if (!login) {
        return make_error(ErrorKind::corrupt, path.string() + ": " + login.error().message);
    }
    return login;
}

Result<void> OfflineCache::remove(const std::string& user_name) const {
    if (auto valid = validate_user_name(user_name); !valid) {
        return valid.error();
    }
    if (auto directory = check_private_subdirectory(m_directory); !directory) {
        return directory.error();
    }
    return remove_file_locked(m_directory / user_name, m_lock_timeout);
}

}  // namespace otpgate::core
