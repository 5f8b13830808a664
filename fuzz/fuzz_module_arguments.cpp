// Module arguments (`auth required pam_otpgate.so debug nullok key=value
// config=/path`), NUL-separated in the input as PAM hands them over as C
// strings. Drives split_module_arguments and load_module_config; an
// absolute config= path is pointed at a file that does not exist so that
// no real configuration is read.
// Invariants: every argument lands in exactly one place; what the setter
// kept round-trips through the config text form.
#include "config_serializer.hpp"
#include "fuzz_support.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 16 * 1024) {
        return 0;
    }
    const auto parts = fuzz::split(fuzz::as_text(data, size), '\0');
    std::vector<std::string_view> argv(parts.begin(), parts.end());

    core::ModuleArguments arguments = core::split_module_arguments(argv);
    std::size_t config_arguments = 0;
    for (const auto argument : argv) {
        config_arguments += argument == "config" || argument.substr(0, 7) == "config=" ? 1 : 0;
    }
    FUZZ_CHECK(arguments.settings.size() + config_arguments == argv.size());
    FUZZ_CHECK(arguments.config_path.has_value() == (config_arguments > 0));
    for (const auto& [key, value] : arguments.settings) {
        FUZZ_CHECK(key != "config");
    }

    if (arguments.config_path && arguments.config_path->is_absolute()) {
        arguments.config_path = "/nonexistent/otpgate-fuzz/otpgate.conf";
    }
    fuzz::NullLogger logger;
    core::Config config;
    const bool ok = core::load_module_config(config, arguments, logger, "sshd");
    FUZZ_CHECK(!ok || !arguments.config_path);  // a missing explicit file is an error
    fuzz::check_config_round_trip(config);
    return 0;
}
