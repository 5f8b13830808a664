#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "otpgate/core/system/user_account.hpp"

namespace otpgate::core {
namespace {

TEST(ValidateUserName, AcceptsOrdinaryNames) {
    for (const char* name :
         {"root", "alice", "bob.smith", "user-1", "u_2", "x", "DOMAIN+user", "a$"}) {
        EXPECT_TRUE(validate_user_name(name).ok()) << name;
    }
    EXPECT_TRUE(validate_user_name(std::string(64, 'a')).ok());
}

TEST(ValidateUserName, RefusesWhatCouldEscapeOrConfuse) {
    for (const std::string name : {"", "..", ".", ".hidden", "-rf", "a/b", "../root", "a b", "a:b",
                                   "a\\b", "a\nb", "a\tb", "a\x7f"}) {
        const auto valid = validate_user_name(name);
        ASSERT_FALSE(valid.ok()) << name;
        EXPECT_EQ(valid.error().kind, ErrorKind::invalid_input);
    }
    EXPECT_FALSE(validate_user_name(std::string(65, 'a')).ok());
    EXPECT_FALSE(validate_user_name(std::string_view("a\0b", 3)).ok());
}

TEST(LookupUser, RootByNameAndUid) {
    const auto by_name = lookup_user("root");
    ASSERT_TRUE(by_name.ok()) << by_name.error().message;
    EXPECT_EQ(by_name->uid, 0u);
    EXPECT_EQ(by_name->name, "root");
    EXPECT_FALSE(by_name->home.empty());
    const auto by_uid = lookup_user(uid_t{0});
    ASSERT_TRUE(by_uid.ok());
    EXPECT_EQ(by_uid->name, "root");
}

TEST(LookupUser, UnknownUsersAreNotFound) {
    const auto missing = lookup_user("otpgate-no-such-user");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
    EXPECT_EQ(lookup_user("../etc").error().kind, ErrorKind::invalid_input);
}

TEST(GroupIds, IncludeThePrimaryGroup) {
    const auto root = lookup_user(uid_t{0});
    ASSERT_TRUE(root.ok());
    const auto groups = group_ids_of(*root);
    EXPECT_NE(std::find(groups.begin(), groups.end(), root->gid), groups.end());
    const UserAccount unknown{"otpgate-no-such-user", 4242, 4343, "/"};
    EXPECT_EQ(group_ids_of(unknown), std::vector<gid_t>{4343});
}

}  // namespace
}  // namespace otpgate::core
