// groups = ...: parsing and membership, with a group lookup of our own.
#include <gtest/gtest.h>

#include <map>

#include "otpgate/core/policy/group_rules.hpp"

namespace otpgate::core {
namespace {

std::vector<GroupRule> rules(std::string_view text) {
    auto parsed = parse_group_rules(text);
    if (auto* problem = std::get_if<std::string>(&parsed)) {
        ADD_FAILURE() << text << ": " << *problem;
        return {};
    }
    return std::get<std::vector<GroupRule>>(parsed);
}

const std::map<std::string, gid_t> groups_by_name = {
    {"wheel", 10}, {"admins", 3000}, {"contractors", 3001}, {"ops.team", 3002}};

std::optional<gid_t> lookup(const std::string& name) {
    const auto found = groups_by_name.find(name);
    return found == groups_by_name.end() ? std::nullopt : std::optional<gid_t>(found->second);
}

bool includes(std::string_view text, std::vector<gid_t> user_groups) {
    CapturingLogger logger;
    return groups_include(rules(text), user_groups, lookup, logger);
}

TEST(GroupRules, ParsesNamesNumbersAndExclusions) {
    const auto parsed = rules("wheel, 2000 !contractors\t!3001 ops.team");
    ASSERT_EQ(parsed.size(), 5U);
    EXPECT_EQ(parsed[0], (GroupRule{false, "wheel", std::nullopt}));
    EXPECT_EQ(parsed[1], (GroupRule{false, "", 2000}));
    EXPECT_EQ(parsed[2], (GroupRule{true, "contractors", std::nullopt}));
    EXPECT_EQ(parsed[3], (GroupRule{true, "", 3001}));
    EXPECT_EQ(parsed[3].describe(), "!3001");
    EXPECT_TRUE(rules("").empty());
}

TEST(GroupRules, RefusesWhatIsNoGroup) {
    for (const char* text : {"!", "!!wheel", "wh:eel", "-wheel", "a/b", "wheel !"}) {
        EXPECT_TRUE(std::holds_alternative<std::string>(parse_group_rules(text))) << text;
    }
    std::string many;
    for (int i = 0; i < 65; ++i) {
        many += std::to_string(i) + " ";
    }
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_group_rules(many)));
}

TEST(GroupRules, AnyListedGroupIncludes) {
    EXPECT_TRUE(includes("wheel admins", {100, 3000}));
    EXPECT_TRUE(includes("wheel admins", {10}));
    EXPECT_FALSE(includes("wheel admins", {100, 3001}));
    EXPECT_TRUE(includes("2000", {2000}));
}

TEST(GroupRules, AnExclusionWinsWhereverItIsWritten) {
    EXPECT_FALSE(includes("admins !contractors", {3000, 3001}));
    EXPECT_FALSE(includes("!contractors admins", {3000, 3001}));
    EXPECT_TRUE(includes("admins !contractors", {3000}));
}

TEST(GroupRules, OnlyExclusionsMeanEveryoneElse) {
    EXPECT_TRUE(includes("!contractors", {100}));
    EXPECT_FALSE(includes("!contractors", {100, 3001}));
}

TEST(GroupRules, NoRulesIncludeEveryone) {
    EXPECT_TRUE(includes("", {100}));
}

TEST(GroupRules, AnUnknownNameMatchesNobodyAndIsLogged) {
    CapturingLogger logger;
    EXPECT_FALSE(groups_include(rules("nosuch"), {100}, lookup, logger));
    EXPECT_TRUE(logger.contains("there is no group 'nosuch'"));
    // An unknown exclusion excludes nobody.
    EXPECT_TRUE(groups_include(rules("wheel !nosuch"), {10}, lookup, logger));
}

}  // namespace
}  // namespace otpgate::core
