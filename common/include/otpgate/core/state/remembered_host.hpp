// The host-wide key of remembered hosts (host_tag.hpp), as a file of root's
// state directory.
#pragma once

#include <filesystem>
#include <string_view>

#include "otpgate/core/primitives/random.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/primitives/secret.hpp"
#include "otpgate/core/state/host_tag.hpp"
#include "otpgate/core/state/state_store.hpp"

namespace otpgate::core {

inline constexpr std::string_view host_key_file_name = ".host-key";

// Reads state_dir/.host-key, creating it (host_key_size random bytes, 0600)
// on first use. unsafe when it is not a private regular file of ours.
Result<SecretBytes> load_host_key(const std::filesystem::path& state_dir, RandomSource& random);

}  // namespace otpgate::core
