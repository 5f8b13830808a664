#include "exit_code.hpp"

#include <cstdio>

#include "otpgate/core/system/safe_text.hpp"

namespace otpgate::cli {

std::string_view exit_code_table() {
    return "Exit status:\n"
           "  0   success\n"
           "  1   the code was not verified, or no code was given\n"
           "  2   usage error (unknown option, missing command, bad value)\n"
           "  3   the user is not enrolled\n"
           "  4   not permitted (acting for another user without root) or a file was\n"
           "      refused (wrong owner or mode, symbolic link)\n"
           "  5   configuration error\n"
           "  6   storage error (an enrollment or state file cannot be read or written)\n"
           "  7   a code could not be sent (SMS or email provider failed, send limit)\n"
           "  70  internal error\n";
}

ExitCode report(const Failure& failure) {
    std::fflush(stdout);  // keep what was printed before the error in order
    if (failure.message.empty()) {
        return failure.code;  // already said, by otpgate-verify
    }
    core::write_line(stderr, "otpgate: error: ", failure.message);
    return failure.code;
}

Failure storage_failure(const core::Error& error, std::string_view what) {
    using core::ErrorKind;
    switch (error.kind) {
        case ErrorKind::unsafe:
            return {ExitCode::not_permitted,
                    "refusing " + std::string(what) + ": " + error.message};
        case ErrorKind::invalid_input:
            // The only person-given input a store sees is the configured path.
            return {ExitCode::config, std::string(what) + ": " + error.message};
        case ErrorKind::not_found:
        case ErrorKind::corrupt:
        case ErrorKind::io:
        case ErrorKind::unavailable:
        case ErrorKind::conflict: break;
    }
    return {ExitCode::storage, std::string(what) + ": " + error.message};
}

}  // namespace otpgate::cli
