#include "otpgate/core/enrollment/root_enrollment_store.hpp"

#include <unistd.h>

#include <algorithm>

#include "otpgate/core/state/state_store.hpp"
#include "otpgate/core/system/descriptor_io.hpp"
#include "otpgate/core/system/safe_file.hpp"

namespace otpgate::core {
namespace {

constexpr std::string_view owner_line_prefix = "otpgate-local-enrollment uid=";

FileRules root_record_rules() {
    FileRules rules;
    rules.owner = geteuid();
    rules.forbidden_mode_bits = 0077;
    rules.max_size = 16 * 1024;
    return rules;
}

}  // namespace

Result<std::filesystem::path> RootEnrollmentStore::path_of(const UserAccount& account) const {
    if (auto valid = validate_user_name(account.name); !valid) {
        return valid.error();
    }
    return m_directory / account.name;
}

Result<Enrollment> RootEnrollmentStore::load(const UserAccount& account) const {
    const auto path = path_of(account);
    if (!path) {
        return path.error();
    }
    if (auto directory = check_private_subdirectory(m_directory); !directory) {
        return directory.error();
    }
    const auto text = read_checked(*path, root_record_rules());
    if (!text) {
        return text.error();
    }
    const std::string_view whole = text->view();
    const auto line_end = whole.find('\n');
    if (line_end == std::string_view::npos ||
        whole.compare(0, owner_line_prefix.size(), owner_line_prefix) != 0) {
        return make_error(ErrorKind::corrupt,
                          path->string() + ": the first line does not name the account");
    }
    const std::string_view owner =
        whole.substr(owner_line_prefix.size(), line_end - owner_line_prefix.size());
    if (owner != std::to_string(account.uid)) {
        return make_error(ErrorKind::not_found,
                          path->string() + " belongs to uid " + std::string(owner) +
                              ", not to the account now named " + account.name + " (uid " +
                              std::to_string(account.uid) + ")");
    }
    auto enrollment = parse_enrollment(whole.substr(line_end + 1));
    if (!enrollment) {
        return make_error(ErrorKind::corrupt, path->string() + ": " + enrollment.error().message);
    }
    return enrollment;
}

Result<void> RootEnrollmentStore::save(const UserAccount& account,
                                       const Enrollment& enrollment) const {
    const auto path = path_of(account);
    if (!path) {
        return path.error();
    }
    if (auto directory = make_private_subdirectory(m_directory); !directory) {
        return directory.error();
    }
    const std::string owner_line =
        std::string(owner_line_prefix) + std::to_string(account.uid) + "\n";
    SecretString text(owner_line);
    const SecretString body = serialize_enrollment(enrollment);
    text.append(body.view().data(), body.size());
    return replace_file_atomically(*path, text.view(), 0600, m_lock_timeout);
}

Result<void> RootEnrollmentStore::remove(const UserAccount& account) const {
    const auto path = path_of(account);
    if (!path) {
        return path.error();
    }
    if (auto directory = check_private_subdirectory(m_directory); !directory) {
        return directory.error();
    }
    return remove_file_locked(*path, m_lock_timeout);
}

Result<std::vector<std::string>> RootEnrollmentStore::user_names() const {
    std::vector<std::string> names;
    if (auto directory = check_private_subdirectory(m_directory); !directory) {
        if (directory.error().kind == ErrorKind::not_found) {
            return names;
        }
        return directory.error();
    }
    std::error_code error;
    for (std::filesystem::directory_iterator entries(m_directory, error);
         !error && entries != std::filesystem::directory_iterator(); entries.increment(error)) {
        const std::string name = entries->path().filename().string();
        if (validate_user_name(name) && entries->is_regular_file(error)) {
            names.push_back(name);
        }
    }
    if (error) {
        return make_error(ErrorKind::io,
                          "cannot list " + m_directory.string() + ": " + error.message());
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace otpgate::core
