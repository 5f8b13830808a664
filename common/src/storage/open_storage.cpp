#include "otpgate/core/storage/open_storage.hpp"

#include "file_storage.hpp"

namespace otpgate::core {

Result<std::unique_ptr<Storage>> open_storage(const Config& config, Logger& logger) {
    FileStorage::Enrollments enrollments =
        config.store == StoreKind::local
            ? FileStorage::Enrollments(RootEnrollmentStore(config.state_dir, config.lock_timeout))
            : FileStorage::Enrollments(
                  EnrollmentStore(config.enrollment_path, config.lock_timeout));
    return std::unique_ptr<Storage>(std::make_unique<FileStorage>(
        std::move(enrollments), config.state_dir, config.lock_timeout, logger));
}

}  // namespace otpgate::core
