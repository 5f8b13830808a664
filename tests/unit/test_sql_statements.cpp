// The migrations of the shared store are run one statement at a time
// (libpq's extended protocol takes no more): the split must keep every `;`
// that is not a statement's end, and drop only comments.
#include <gtest/gtest.h>

#include "otpgate/core/storage/postgres_schema.hpp"
#include "storage/sql_statements.hpp"

namespace otpgate::core {
namespace {

using Statements = std::vector<std::string>;

TEST(SqlStatements, SplitsAtSemicolonsAndDropsComments) {
    EXPECT_EQ(split_sql_statements("-- a comment; not a statement\n"
                                   "CREATE TABLE t (x int); /* one; two */ INSERT INTO t "
                                   "VALUES (1);\n\n  ;  \n-- trailing"),
              (Statements{"\nCREATE TABLE t (x int)", "   INSERT INTO t VALUES (1)"}));
}

TEST(SqlStatements, KeepsSemicolonsInsideQuotes) {
    EXPECT_EQ(split_sql_statements("SELECT 'a;b', 'it''s;', \"odd;name\"; SELECT 2"),
              (Statements{"SELECT 'a;b', 'it''s;', \"odd;name\"", " SELECT 2"}));
    EXPECT_EQ(split_sql_statements("SELECT '-- not a comment'; SELECT 1"),
              (Statements{"SELECT '-- not a comment'", " SELECT 1"}));
}

TEST(SqlStatements, KeepsDollarQuotedBodiesWhole) {
    const std::string body =
        "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; -- x\n SELECT 2; $body$ "
        "LANGUAGE sql";
    EXPECT_EQ(split_sql_statements(body + "; DO $$ BEGIN NULL; END $$;"),
              (Statements{body, " DO $$ BEGIN NULL; END $$"}));
    // $1 is a parameter, not a quote.
    EXPECT_EQ(split_sql_statements("SELECT $1; SELECT $2"),
              (Statements{"SELECT $1", " SELECT $2"}));
}

TEST(SqlStatements, AnUnterminatedQuoteIsLeftForTheServer) {
    EXPECT_EQ(split_sql_statements("SELECT 'open; SELECT 2"),
              (Statements{"SELECT 'open; SELECT 2"}));
}

TEST(SqlStatements, TheShippedMigrationsAreNumberedAndSplit) {
    const auto& migrations = schema_migrations();
    ASSERT_EQ(migrations.size(), static_cast<std::size_t>(shared_store_schema_version));
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        EXPECT_EQ(migrations[i].version, static_cast<int>(i + 1));
        EXPECT_FALSE(split_sql_statements(migrations[i].sql).empty());
    }
    EXPECT_EQ(migrations[0].name, "001_shared_store");
    // Every table of version 1 and the single reservation row.
    const Statements first = split_sql_statements(migrations[0].sql);
    EXPECT_EQ(first.size(), 13u);
}

}  // namespace
}  // namespace otpgate::core
