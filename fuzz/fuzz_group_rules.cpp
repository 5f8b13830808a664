// parse_group_rules (`groups = wheel !contractors 2000`) and
// groups_include with a lookup that needs no group database.
// Invariants: the rules written back as text parse to the same rules;
// an exclusion the user is in always wins.
#include <string>

#include "fuzz_support.hpp"
#include "otpgate/core/policy/group_rules.hpp"

using namespace otpgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 4096) {
        return 0;
    }
    const auto parsed = core::parse_group_rules(fuzz::as_text(data, size));
    const auto* rules = std::get_if<std::vector<core::GroupRule>>(&parsed);
    if (rules == nullptr) {
        FUZZ_CHECK(!std::get<std::string>(parsed).empty());
        return 0;
    }
    std::string written;
    for (const auto& rule : *rules) {
        FUZZ_CHECK(rule.gid.has_value() == rule.name.empty());
        written += rule.describe() + ",";
    }
    const auto reread = core::parse_group_rules(written);
    const auto* same = std::get_if<std::vector<core::GroupRule>>(&reread);
    FUZZ_CHECK(same != nullptr && *same == *rules);

    // Names resolve to their length; the user is in GIDs 3 and 1000.
    const core::GroupLookup lookup = [](const std::string& name) -> std::optional<gid_t> {
        if (name.size() % 2 == 0) {
            return std::nullopt;
        }
        return static_cast<gid_t>(name.size());
    };
    const std::vector<gid_t> user_groups = {3, 1000};
    fuzz::NullLogger logger;
    const bool included = core::groups_include(*rules, user_groups, lookup, logger);
    for (const auto& rule : *rules) {
        const auto gid = rule.gid ? rule.gid : lookup(rule.name);
        if (rule.exclude && gid && (*gid == 3 || *gid == 1000)) {
            FUZZ_CHECK(!included);
        }
    }
    return 0;
}
