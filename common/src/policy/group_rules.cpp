#include "otpgate/core/policy/group_rules.hpp"

#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace otpgate::core {
namespace {

constexpr std::size_t max_rules = 64;
constexpr std::size_t max_name_size = 64;

bool valid_group_name(std::string_view name) {
    if (name.empty() || name.size() > max_name_size || name.front() == '-') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u != 0x7f && c != ':' && c != '!' && c != '/';
    });
}

}  // namespace

std::string GroupRule::describe() const {
    return (exclude ? "!" : "") + (gid ? std::to_string(*gid) : name);
}

std::variant<std::vector<GroupRule>, std::string> parse_group_rules(std::string_view text) {
    std::vector<GroupRule> rules;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = text.find_first_of(" ,\t", start);
        std::string_view item = text.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (!item.empty()) {
            GroupRule rule;
            if (item.front() == '!') {
                rule.exclude = true;
                item.remove_prefix(1);
            }
            gid_t gid = 0;
            const auto* item_end = item.data() + item.size();
            const auto [ptr, ec] = std::from_chars(item.data(), item_end, gid);
            if (!item.empty() && ec == std::errc{} && ptr == item_end) {
                rule.gid = gid;
            } else if (valid_group_name(item)) {
                rule.name = std::string(item);
            } else {
                return "'" + std::string(text.substr(start, item.size() + (rule.exclude ? 1 : 0))) +
                       "' is not a group name or GID";
            }
            if (rules.size() == max_rules) {
                return "at most " + std::to_string(max_rules) + " groups";
            }
            rules.push_back(std::move(rule));
        }
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    return rules;
}

std::optional<gid_t> lookup_group_id(const std::string& name) {
    long suggested = sysconf(_SC_GETGR_R_SIZE_MAX);
    std::size_t size = suggested > 0 ? static_cast<std::size_t>(suggested) : 4096;
    while (size <= 1024 * 1024) {
        std::vector<char> buffer(size);
        group entry{};
        group* found = nullptr;
        const int rc = getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (rc == ERANGE) {
            size *= 2;
            continue;
        }
        if (rc != 0 || found == nullptr) {
            return std::nullopt;
        }
        return found->gr_gid;
    }
    return std::nullopt;
}

bool groups_include(const std::vector<GroupRule>& rules, const std::vector<gid_t>& user_groups,
                    const GroupLookup& lookup, Logger& logger) {
    bool any_inclusion = false;
    bool included = false;
    for (const auto& rule : rules) {
        any_inclusion = any_inclusion || !rule.exclude;
        std::optional<gid_t> gid = rule.gid;
        if (!gid) {
            gid = lookup(rule.name);
            if (!gid) {
                logger.warning("groups: there is no group '" + rule.name + "'; it matches nobody");
                continue;
            }
        }
        const bool member =
            std::find(user_groups.begin(), user_groups.end(), *gid) != user_groups.end();
        if (member && rule.exclude) {
            return false;  // an exclusion wins wherever it is written
        }
        included = included || member;
    }
    return included || !any_inclusion;
}

}  // namespace otpgate::core
