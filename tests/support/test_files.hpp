// Temporary folders, whole-file reads and writes, and what this process
// has mapped, for every C++ test tier. Nothing here computes an expected
// result.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace otpgate::test {

// A fresh directory from mkdtemp, removed with everything in it at the end.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    [[nodiscard]] std::filesystem::path operator/(std::string_view name) const {
        return m_path / name;
    }

private:
    std::filesystem::path m_path;
};

// Creates or truncates, writes everything, then sets exactly `mode`.
void write_file(const std::filesystem::path& path, std::string_view content, mode_t mode = 0600);
std::string read_file(const std::filesystem::path& path);

// Whether a file whose path contains `name` (a library) is mapped into this
// process, from /proc/self/maps; throws if that cannot be read.
bool process_maps(std::string_view name);

}  // namespace otpgate::test
