// otpgate.conf text, sections included: parse_config_text as the module
// calls it for PAM service "sshd" and as the CLI calls it (no service).
// Invariants: whatever the parser kept reads back unchanged from its
// serialized form; a file without errors reads the same through either
// caller when it has no sections; defaults never change on an empty file.
#include "config_serializer.hpp"
#include "fuzz_support.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 64 * 1024) {
        return 0;  // load_config_file refuses larger files
    }
    const std::string_view text = fuzz::as_text(data, size);
    fuzz::NullLogger logger;

    core::Config for_sshd;
    const bool sshd_ok = core::parse_config_text(for_sshd, text, "fuzz.conf", logger, "sshd");
    fuzz::check_config_round_trip(for_sshd);

    core::Config for_cli;
    const bool cli_ok = core::parse_config_text(for_cli, text, "fuzz.conf", logger);
    // Sections are checked whatever the service: validity never depends on it.
    FUZZ_CHECK(sshd_ok == cli_ok);
    if (text.find('[') == std::string_view::npos) {
        FUZZ_CHECK(fuzz::serialize_config(for_sshd) == fuzz::serialize_config(for_cli));
    } else {
        fuzz::check_config_round_trip(for_cli);
    }
    return 0;
}
