// A user's login state as a row of otpgate.user_states, and back: every
// column checked on the way in, since the row comes from a database other
// hosts (and their administrators) write. A row that does not hold what
// this build would have written is `corrupt`, and the login fails closed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otpgate/core/database/pg_connection.hpp"
#include "otpgate/core/primitives/result.hpp"
#include "otpgate/core/state/user_state.hpp"

namespace otpgate::core {

// The state's columns, in the order state_from_row() reads them and
// state_values() gives them.
inline constexpr const char* user_state_columns =
    "enrollment_id, last_totp_step, backup_used_mask, verified_destination, verified_at, "
    "recent_sends, last_success, locked_at, recent_failures, encode(remembered_hosts, 'hex')";
inline constexpr int user_state_column_count = 10;

// The UPDATE that writes state_values() as $2..$11 ($1 the user, $12 the host).
inline constexpr const char* update_user_state =
    "UPDATE otpgate.user_states SET enrollment_id = $2, last_totp_step = $3, "
    "backup_used_mask = $4, verified_destination = $5, verified_at = $6, "
    "recent_sends = $7::bigint[], last_success = $8, locked_at = $9, "
    "recent_failures = $10::bigint[], remembered_hosts = decode($11, 'hex'), "
    "updated_at = now(), updated_by = $12 WHERE user_name = $1";

// One row's columns as the server sent them, in user_state_columns'
// order; nullopt is NULL.
using StateColumns = std::array<std::optional<std::string_view>, user_state_column_count>;

// The state's columns of `row`, the first user_state_column_count of
// `result` (a query may add more after them).
StateColumns state_columns(const PgResult& result, int row);

// `user` names the row in messages.
Result<UserState> state_from_columns(const StateColumns& columns, const std::string& user);
Result<UserState> state_from_row(const PgResult& result, int row, const std::string& user);

// Text values of the columns, for update_user_state; nullopt is NULL.
using StateValues = std::array<std::optional<std::string>, user_state_column_count>;
StateValues state_values(const UserState& state);

// update_user_state's parameters: the user, `values`, the host writing.
// They point into `values`, which must outlive them.
std::vector<PgParam> update_parameters(std::string_view user, const StateValues& values,
                                       std::string_view host);

// "{1,2,3}" and back; at most `limit` non-negative elements.
std::string bigint_array_text(const std::vector<std::int64_t>& values);
std::optional<std::vector<std::int64_t>> parse_bigint_array(std::string_view text,
                                                            std::size_t limit);

}  // namespace otpgate::core
