// Helpers shared by the fuzz targets: a logger that drops lines, a check
// that aborts (libFuzzer records the input), and input splitting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "otpgate/core/system/logger.hpp"

namespace otpgate::fuzz {

class NullLogger final : public core::Logger {
    void write(core::Severity, std::string_view) override {}
};

[[noreturn]] inline void invariant_failed(const char* file, int line, const char* what) {
    std::fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
    std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// The parts of `text` between `separator` bytes (always at least one part).
inline std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    while (true) {
        const auto at = text.find(separator);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) {
            return parts;
        }
        text.remove_prefix(at + 1);
    }
}

}  // namespace otpgate::fuzz

// An invariant of the parser under test; a failure is a finding.
#define FUZZ_CHECK(condition)                                                  \
    do {                                                                       \
        if (!(condition)) {                                                    \
            ::otpgate::fuzz::invariant_failed(__FILE__, __LINE__, #condition); \
        }                                                                      \
    } while (0)
