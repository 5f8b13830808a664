#include "command_context.hpp"

#include <filesystem>

namespace otpgate::cli {

std::variant<core::Config, Failure> load_configuration(const std::optional<std::string>& path,
                                                       core::Logger& logger) {
    core::Config config;
    const auto requirement =
        path ? core::ConfigRequirement::required : core::ConfigRequirement::optional;
    const std::filesystem::path file =
        path ? std::filesystem::path(*path) : std::filesystem::path(core::default_config_path);
    if (file.empty()) {
        return Failure{ExitCode::config, "--config: empty path"};
    }
    if (auto loaded = core::load_config_file(config, file, requirement, logger); !loaded) {
        return Failure{ExitCode::config, loaded.error().message};
    }
    logger.set_debug(config.debug);
    return config;
}

std::variant<std::unique_ptr<core::UserTransaction>, Failure> begin_state_if_root(
    const CommandContext& context) {
    if (!context.may_use_state) {
        return std::unique_ptr<core::UserTransaction>{};
    }
    auto opened = context.storage.begin(context.user_name());
    if (!opened) {
        Failure failure =
            storage_failure(opened.error(), "the login state of user " + context.user_name());
        failure.message += "; nothing was changed";
        return failure;
    }
    return std::move(opened.value());
}

std::string verified_fingerprint(const CommandContext& context) {
    if (!context.may_use_state) {
        return {};
    }
    const auto state = context.storage.read_state(context.user_name());
    return state && *state ? (*state)->verified_destination : std::string();
}

std::string enrollment_of(const CommandContext& context) {
    return "the enrollment of user " + context.user_name();
}

std::variant<core::Enrollment, Failure> load_enrollment(const CommandContext& context) {
    auto enrollment = context.storage.load_enrollment(context.target.account);
    if (enrollment) {
        return std::move(enrollment.value());
    }
    if (enrollment.error().kind == core::ErrorKind::not_found) {
        return Failure{ExitCode::not_enrolled, "user " + context.user_name() + " is not enrolled"};
    }
    return storage_failure(enrollment.error(), enrollment_of(context));
}

}  // namespace otpgate::cli
