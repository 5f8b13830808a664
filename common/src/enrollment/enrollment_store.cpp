#include "otpgate/core/enrollment/enrollment_store.hpp"

#include "otpgate/core/system/privilege_drop.hpp"
#include "otpgate/core/system/safe_file.hpp"

namespace otpgate::core {
namespace {

FileRules enrollment_rules(const UserAccount& account) {
    FileRules rules;
    rules.owner = account.uid;
    // The file holds the TOTP secret: nobody but its owner may read it.
    rules.forbidden_mode_bits = 0077;
    rules.max_size = 16 * 1024;
    return rules;
}

}  // namespace

Result<std::filesystem::path> enrollment_path_for(const std::string& path_template,
                                                  const UserAccount& account) {
    std::string out;
    for (std::size_t i = 0; i < path_template.size(); ++i) {
        const char c = path_template[i];
        if (c != '%') {
            out.push_back(c);
            continue;
        }
        if (i + 1 == path_template.size()) {
            return make_error(ErrorKind::invalid_input, "enrollment_path ends with a lone '%'");
        }
        switch (path_template[++i]) {
            case 'u': out += account.name; break;
            case 'h':
                // An empty or relative home would put every such user's
                // enrollment at one shared path.
                if (account.home.empty() || account.home.front() != '/' || account.home == "/") {
                    return make_error(ErrorKind::invalid_input,
                                      "user " + account.name + " has no usable home directory ('" +
                                          account.home + "') for enrollment_path");
                }
                out += account.home;
                break;
            case '%': out.push_back('%'); break;
            default:
                return make_error(
                    ErrorKind::invalid_input,
                    std::string("enrollment_path has unknown escape %") + path_template[i]);
        }
    }
    const std::filesystem::path path(out);
    if (!path.is_absolute() || !path.has_filename()) {
        return make_error(ErrorKind::invalid_input, "enrollment path '" + out + "' for user " +
                                                        account.name +
                                                        " is not an absolute file path");
    }
    return path.lexically_normal();
}

Result<std::filesystem::path> EnrollmentStore::path_of(const UserAccount& account) const {
    return enrollment_path_for(m_template, account);
}

Result<Enrollment> EnrollmentStore::load(const UserAccount& account) const {
    const auto path = path_of(account);
    if (!path) {
        return path.error();
    }
    // With the primary group first: at every login, and almost always
    // enough. Only a refusal (a folder open to a supplementary group) is
    // worth asking the group database for the rest.
    const auto read_as_user = [&](GroupScope scope) {
        const FileSystemIdentity as_user(account, scope);
        return read_checked(*path, enrollment_rules(account));
    };
    Result<SecretString> text = read_as_user(GroupScope::primary_only);
    if (!text && text.error().kind == ErrorKind::unavailable) {
        text = read_as_user(GroupScope::all);
    }
    if (!text) {
        return text.error();
    }
    auto enrollment = parse_enrollment(text->view());
    if (!enrollment) {
        return make_error(ErrorKind::corrupt, path->string() + ": " + enrollment.error().message);
    }
    return enrollment;
}

Result<void> EnrollmentStore::save(const UserAccount& account, const Enrollment& enrollment) const {
    const auto path = path_of(account);
    if (!path) {
        return path.error();
    }
    const SecretString text = serialize_enrollment(enrollment);
    const FileSystemIdentity as_user(account);
    return replace_file_atomically(*path, text.view(), 0600, m_lock_timeout);
}

Result<void> EnrollmentStore::remove(const UserAccount& account) const {
    const auto path = path_of(account);
    if (!path) {
        return path.error();
    }
    const FileSystemIdentity as_user(account);
    return remove_file_locked(*path, m_lock_timeout);
}

}  // namespace otpgate::core
