// `groups = wheel sudo 2000 !contractors`: who falls under enforce = groups.
// A user is in when a listed group is their primary or a supplementary
// group, and none of the `!` groups is. With only `!` entries, everyone
// but those groups is in. Names are looked up at each login (the group
// database may change while the module is loaded); a name that does not
// exist matches nobody and is logged.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "otpgate/core/system/logger.hpp"

namespace otpgate::core {

struct GroupRule {
    bool exclude = false;      // written with a leading '!'
    std::string name;          // empty when written as a number
    std::optional<gid_t> gid;  // written as a number

    [[nodiscard]] std::string describe() const;  // as written: "!wheel", "2000"
    bool operator==(const GroupRule&) const = default;
};

// Names or numbers separated by spaces or commas; the first bad entry is
// reported in the returned text.
std::variant<std::vector<GroupRule>, std::string> parse_group_rules(std::string_view text);

// Group name to GID; nullopt when there is no such group. Injected so that
// tests need no group database.
using GroupLookup = std::function<std::optional<gid_t>(const std::string&)>;

// getgrnam_r through the system's name services.
std::optional<gid_t> lookup_group_id(const std::string& name);

// `user_groups`: the primary and supplementary GIDs of the user.
bool groups_include(const std::vector<GroupRule>& rules, const std::vector<gid_t>& user_groups,
                    const GroupLookup& lookup, Logger& logger);

}  // namespace otpgate::core
