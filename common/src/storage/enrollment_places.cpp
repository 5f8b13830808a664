#include "otpgate/core/storage/enrollment_places.hpp"

namespace otpgate::core {

StoreKind other_store(StoreKind kind) {
    return kind == StoreKind::files ? StoreKind::local : StoreKind::files;
}

bool holds_nothing(StoreKind place, const Error& error) {
    return error.kind == ErrorKind::not_found ||
           (place == StoreKind::files && error.kind == ErrorKind::invalid_input);
}

Result<Enrollment> EnrollmentPlaces::load(StoreKind place, const UserAccount& account) const {
    return place == StoreKind::files ? m_files.load(account) : m_local.load(account);
}

Result<void> EnrollmentPlaces::save(StoreKind place, const UserAccount& account,
                                    const Enrollment& enrollment) const {
    return place == StoreKind::files ? m_files.save(account, enrollment)
                                     : m_local.save(account, enrollment);
}

Result<void> EnrollmentPlaces::remove(StoreKind place, const UserAccount& account) const {
    if (place == StoreKind::files) {
        return m_files.remove(account);
    }
    // The file may name another uid: then it is not this account's to remove.
    if (auto held = m_local.load(account); !held && held.error().kind == ErrorKind::not_found) {
        return held.error();
    }
    return m_local.remove(account);
}

Result<std::filesystem::path> EnrollmentPlaces::path_of(StoreKind place,
                                                        const UserAccount& account) const {
    return place == StoreKind::files ? m_files.path_of(account) : m_local.path_of(account);
}

std::string EnrollmentPlaces::describe(StoreKind place, const UserAccount& account) const {
    const auto path = path_of(place, account);
    return path ? path->string() : "(no path: " + path.error().message + ")";
}

Result<std::vector<std::string>> EnrollmentPlaces::local_user_names() const {
    return m_local.user_names();
}

}  // namespace otpgate::core
