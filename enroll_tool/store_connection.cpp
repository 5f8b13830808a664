#include "store_connection.hpp"

#include <algorithm>

namespace otpgate::cli {

std::chrono::milliseconds command_timeout(const core::Config& config) {
    return std::max(config.database.timeout, std::chrono::milliseconds(10000));
}

std::variant<const core::LibpqLibrary*, Failure> libpq_for(const core::Config& config) {
    if (config.database.url.empty()) {
        return Failure{ExitCode::config,
                       "store_url is not set in the configuration: it names the PostgreSQL "
                       "database of the shared store (see otpgate.conf(5))"};
    }
    auto libpq = core::libpq_library();
    if (!libpq) {
        return Failure{ExitCode::storage, libpq.error().message};
    }
    return *libpq;
}

std::variant<core::Credentials, Failure> store_credentials(const core::Config& config) {
    auto credentials = core::load_credentials(config.delivery.credentials_file);
    if (!credentials) {
        return Failure{ExitCode::config, credentials.error().message};
    }
    return std::move(credentials.value());
}

}  // namespace otpgate::cli
