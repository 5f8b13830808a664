#include "output.hpp"

#include <cstdio>
#include <ctime>

#include <openssl/crypto.h>

#include "otpgate/core/enrollment/backup_codes.hpp"
#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::cli {

void print(std::string_view text) {
    core::write_text(stdout, text);
}

void print_qr_code(const core::SecretString& drawing) {
    std::fwrite(drawing.view().data(), 1, drawing.view().size(), stdout);
}

std::string as_field(std::string_view text) {
    return core::one_line(text, std::string_view::npos);
}

void print_warning(std::string_view text) {
    std::fflush(stdout);
    core::write_line(stderr, "otpgate: warning: ", text);
}

std::string format_utc(std::int64_t unix_time) {
    const auto seconds = static_cast<std::time_t>(unix_time);
    std::tm parts{};
    char text[64] = {};
    if (gmtime_r(&seconds, &parts) == nullptr ||
        std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts) == 0) {
        return "@" + std::to_string(unix_time);
    }
    return text;
}

std::string describe_totp(const core::TotpParameters& params) {
    return std::string(core::to_string(params.algorithm)) + ", " + std::to_string(params.digits) +
           " digits, new code every " + std::to_string(params.period) + " seconds";
}

void print_backup_codes(const std::vector<core::SecretString>& codes) {
    if (codes.empty()) {
        print("No backup codes were made (backup_code_count is 0).\n");
        return;
    }
    print("\nBackup codes, each good for one login when your phone is not at hand:\n\n");
    for (std::size_t i = 0; i < codes.size(); ++i) {
        std::string shown = core::format_backup_code(codes[i].view());
        std::printf("  %2zu. %s\n", i + 1, shown.c_str());
        // format_backup_code hands back a std::string; wipe it like the original.
        OPENSSL_cleanse(shown.data(), shown.size());
    }
    print(
        "\nStore these codes now, somewhere safe and away from your phone: they are shown\n"
        "only once. Only their hashes are kept.\n");
}

bool stdout_healthy() {
    return std::fflush(stdout) == 0 && std::ferror(stdout) == 0;
}

}  // namespace otpgate::cli
