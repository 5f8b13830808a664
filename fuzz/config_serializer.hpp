// Writes a parsed Config back as otpgate.conf text, one `key = "value"`
// line per key, so that the targets can check that what the parser
// accepted reads back to the same configuration.
#pragma once

#include <string>

#include "otpgate/core/config/config.hpp"

namespace otpgate::fuzz {

std::string serialize_config(const core::Config& config);

// Aborts unless `config` serializes, parses back without a single logged
// line, and serializes to the same text again.
void check_config_round_trip(const core::Config& config);

}  // namespace otpgate::fuzz
