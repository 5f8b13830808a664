#include "otpgate/core/storage/open_storage.hpp"

#include "file_storage.hpp"
#include "postgres_storage.hpp"

namespace otpgate::core {

Result<std::unique_ptr<Storage>> open_storage(const Config& config, Logger& logger) {
    if (config.store == StoreKind::postgresql) {
        return std::unique_ptr<Storage>(std::make_unique<PostgresStorage>(config, logger));
    }
    return std::unique_ptr<Storage>(std::make_unique<FileStorage>(
        EnrollmentPlaces(config), config.store, config.state_dir, config.lock_timeout, logger));
}

}  // namespace otpgate::core
