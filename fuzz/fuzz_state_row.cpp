// state_from_columns: a user's login state as the shared store's row
// (store = postgresql), which other hosts and the database's
// administrators write. The input is the row's ten columns, separated by
// 0x1f; a column that is exactly \N is NULL, missing ones are NULL.
// Invariants: what is accepted writes back (state_values) as a row that
// reads to the same state and writes the same values again; a refusal is
// `corrupt` and names a column, never its content.
#include <algorithm>

#include "fuzz_support.hpp"
#include "storage/postgres_rows.hpp"

using namespace otpgate;

namespace {

core::StateColumns split_columns(std::string_view text) {
    core::StateColumns columns{};  // fewer columns than the row has: NULL
    bool more = true;
    for (auto& column : columns) {
        if (!more) {
            break;
        }
        const std::size_t end = text.find('\x1f');
        const std::string_view field = text.substr(0, end);
        column = field == "\\N" ? std::nullopt : std::optional<std::string_view>(field);
        more = end != std::string_view::npos;
        if (more) {
            text.remove_prefix(end + 1);
        }
    }
    return columns;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const auto state = core::state_from_columns(split_columns(text), "fuzz-user");
    if (!state) {
        FUZZ_CHECK(state.error().kind == core::ErrorKind::corrupt);
        FUZZ_CHECK(state.error().message.find("the shared store's state of user fuzz-user is "
                                              "damaged (column ") == 0);
        return 0;
    }
    const auto values = core::state_values(*state);
    core::StateColumns written{};
    std::transform(values.begin(), values.end(), written.begin(),
                   [](const std::optional<std::string>& value) {
                       return value ? std::optional<std::string_view>(*value) : std::nullopt;
                   });
    const auto again = core::state_from_columns(written, "fuzz-user");
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(core::state_values(*again) == values);
    FUZZ_CHECK(again->enrollment_id == state->enrollment_id);
    FUZZ_CHECK(again->last_totp_step == state->last_totp_step);
    FUZZ_CHECK(again->backup_used_mask == state->backup_used_mask);
    FUZZ_CHECK(again->recent_failures == state->recent_failures);
    FUZZ_CHECK(again->recent_sends == state->recent_sends);
    FUZZ_CHECK(again->remembered_hosts.size() == state->remembered_hosts.size());
    return 0;
}
