#include "postgres_rows.hpp"

#include <algorithm>
#include <charconv>

#include "otpgate/core/primitives/hex.hpp"

namespace otpgate::core {
namespace {

constexpr std::size_t remembered_host_bytes = host_tag_size + 8;

std::optional<std::int64_t> parse_int64(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

// A time or count that this build writes: never negative.
std::optional<std::int64_t> non_negative(std::optional<std::string_view> text) {
    if (!text) {
        return std::nullopt;
    }
    const auto value = parse_int64(*text);
    return value && *value >= 0 ? value : std::nullopt;
}

std::optional<std::vector<RememberedHost>> parse_remembered_hosts(std::string_view hex) {
    const auto bytes = hex_decode(hex);
    if (!bytes || bytes->size() % remembered_host_bytes != 0 ||
        bytes->size() / remembered_host_bytes > max_remembered_hosts) {
        return std::nullopt;
    }
    std::vector<RememberedHost> hosts;
    for (std::size_t offset = 0; offset < bytes->size(); offset += remembered_host_bytes) {
        RememberedHost host;
        std::copy_n(bytes->begin() + static_cast<long>(offset), host_tag_size, host.tag.begin());
        std::uint64_t at = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            at = (at << 8) | (*bytes)[offset + host_tag_size + i];
        }
        if (at > static_cast<std::uint64_t>(INT64_MAX)) {
            return std::nullopt;
        }
        host.at = static_cast<std::int64_t>(at);
        hosts.push_back(host);
    }
    return hosts;
}

std::string remembered_hosts_hex(const std::vector<RememberedHost>& hosts) {
    std::vector<std::uint8_t> bytes;
    for (const RememberedHost& host : hosts) {
        bytes.insert(bytes.end(), host.tag.begin(), host.tag.end());
        const auto at = static_cast<std::uint64_t>(host.at);
        for (int shift = 56; shift >= 0; shift -= 8) {
            bytes.push_back(static_cast<std::uint8_t>(at >> shift));
        }
    }
    return hex_encode(bytes.data(), bytes.size());
}

bool is_enrollment_id(std::string_view text) {
    return text.empty() || (text.size() == 32 && is_lower_hex(text));
}

bool is_destination_fingerprint(std::string_view text) {
    return text.empty() || (text.size() == 64 && is_lower_hex(text));
}

}  // namespace

std::string bigint_array_text(const std::vector<std::int64_t>& values) {
    std::string text = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        text += (i == 0 ? "" : ",") + std::to_string(values[i]);
    }
    return text + "}";
}

std::optional<std::vector<std::int64_t>> parse_bigint_array(std::string_view text,
                                                            std::size_t limit) {
    if (text.size() < 2 || text.front() != '{' || text.back() != '}') {
        return std::nullopt;
    }
    text = text.substr(1, text.size() - 2);
    std::vector<std::int64_t> values;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const auto value = parse_int64(text.substr(0, comma));
        if (!value || *value < 0 || values.size() == limit) {
            return std::nullopt;
        }
        values.push_back(*value);
        if (comma == std::string_view::npos) {
            break;
        }
        text.remove_prefix(comma + 1);
        if (text.empty()) {
            return std::nullopt;  // "{1,}"
        }
    }
    return values;
}

Result<UserState> state_from_columns(const StateColumns& columns, const std::string& user) {
    const auto damaged = [&](const char* column) {
        return make_error(ErrorKind::corrupt, "the shared store's state of user " + user +
                                                  " is damaged (column " + column + ")");
    };
    UserState state;
    const auto enrollment_id = columns[0];
    if (!enrollment_id || !is_enrollment_id(*enrollment_id)) {
        return damaged("enrollment_id");
    }
    state.enrollment_id = std::string(*enrollment_id);
    if (const auto step = columns[1]) {
        const auto value = non_negative(step);
        if (!value) {
            return damaged("last_totp_step");
        }
        state.last_totp_step = *value;
    }
    const auto mask_text = columns[2];
    const auto mask = mask_text ? parse_int64(*mask_text) : std::nullopt;
    if (!mask) {
        return damaged("backup_used_mask");
    }
    // bigint holds the 64 bits of the mask as two's complement.
    state.backup_used_mask = static_cast<std::uint64_t>(*mask);
    const auto destination = columns[3];
    if (!destination || !is_destination_fingerprint(*destination)) {
        return damaged("verified_destination");
    }
    state.verified_destination = std::string(*destination);
    const auto verified_at = non_negative(columns[4]);
    if (!verified_at) {
        return damaged("verified_at");
    }
    state.verified_at = *verified_at;
    const auto sends_text = columns[5];
    auto sends = sends_text ? parse_bigint_array(*sends_text, max_recorded_sends) : std::nullopt;
    if (!sends) {
        return damaged("recent_sends");
    }
    state.recent_sends = std::move(*sends);
    const auto last_success = non_negative(columns[6]);
    if (!last_success) {
        return damaged("last_success");
    }
    state.last_success = *last_success;
    const auto locked_at = non_negative(columns[7]);
    if (!locked_at) {
        return damaged("locked_at");
    }
    state.locked_at = *locked_at;
    const auto failures_text = columns[8];
    auto failures =
        failures_text ? parse_bigint_array(*failures_text, max_recorded_failures) : std::nullopt;
    if (!failures) {
        return damaged("recent_failures");
    }
    state.recent_failures = std::move(*failures);
    const auto hosts_text = columns[9];
    auto hosts = hosts_text ? parse_remembered_hosts(*hosts_text) : std::nullopt;
    if (!hosts) {
        return damaged("remembered_hosts");
    }
    state.remembered_hosts = std::move(*hosts);
    return state;
}

Result<UserState> state_from_row(const PgResult& result, int row, const std::string& user) {
    if (result.columns() != user_state_column_count) {
        return make_error(ErrorKind::corrupt, "the shared store's state of user " + user +
                                                  " is damaged (column count)");
    }
    return state_from_columns(state_columns(result, row), user);
}

StateColumns state_columns(const PgResult& result, int row) {
    StateColumns columns;
    for (int column = 0; column < user_state_column_count; ++column) {
        columns[static_cast<std::size_t>(column)] = result.value(row, column);
    }
    return columns;
}

StateValues state_values(const UserState& state) {
    return {
        state.enrollment_id,
        state.last_totp_step ? std::optional<std::string>(std::to_string(*state.last_totp_step))
                             : std::nullopt,
        std::to_string(static_cast<std::int64_t>(state.backup_used_mask)),
        state.verified_destination,
        std::to_string(state.verified_at),
        bigint_array_text(state.recent_sends),
        std::to_string(state.last_success),
        std::to_string(state.locked_at),
        bigint_array_text(state.recent_failures),
        remembered_hosts_hex(state.remembered_hosts),
    };
}

std::vector<PgParam> update_parameters(std::string_view user, const StateValues& values,
                                       std::string_view host) {
    std::vector<PgParam> parameters{user};
    for (const auto& value : values) {
        parameters.push_back(value ? PgParam(*value) : std::nullopt);
    }
    parameters.push_back(host);
    return parameters;
}

}  // namespace otpgate::core
