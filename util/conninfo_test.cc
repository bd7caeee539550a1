#include "util/conninfo.h"

#include "gtest/gtest.h"

namespace loyalty::util {
namespace {

TEST(ConninfoTest, AShownLocationHidesAUrisPassword) {
  EXPECT_EQ(ShownLocation("postgresql://ops:s3cret@db1:5432,db2/mall?sslmode=require"),
            "postgresql://ops:***@db1:5432,db2/mall?sslmode=require");
  EXPECT_EQ(ShownLocation("postgresql://ops@db1/mall"), "postgresql://ops@db1/mall");
  EXPECT_EQ(ShownLocation("postgresql://db1:5432/mall"), "postgresql://db1:5432/mall");
  EXPECT_EQ(ShownLocation("postgresql:///mall?host=/tmp/s@x"), "postgresql:///mall?host=/tmp/s@x");
  EXPECT_EQ(ShownLocation("./data:dir@here"), "./data:dir@here");
}

TEST(ConninfoTest, APostgresUriIsToldByItsScheme) {
  EXPECT_TRUE(IsPostgresUri("postgresql://db1,db2/mall?target_session_attrs=read-write"));
  EXPECT_TRUE(IsPostgresUri("postgres:///mall?host=/run/postgresql"));
  EXPECT_FALSE(IsPostgresUri("./loyalty-data"));
  EXPECT_FALSE(IsPostgresUri("postgresql:/relative/dir"));
}

TEST(RedactedConninfoTest, PasswordsAreShownAsStars) {
  EXPECT_EQ(RedactedConninfo("postgresql://ops:s3cret@db1:5432,db2/mall?sslmode=require"),
            "postgresql://ops:***@db1:5432,db2/mall?sslmode=require");
  EXPECT_EQ(RedactedConninfo("postgres://ops:s3cret@/mall?host=/run/postgresql"),
            "postgres://ops:***@/mall?host=/run/postgresql");
  EXPECT_EQ(RedactedConninfo("postgresql://db1/mall?user=ops&password=s3cret&sslmode=require"),
            "postgresql://db1/mall?user=ops&password=***&sslmode=require");
  EXPECT_EQ(RedactedConninfo("host=db1 user=ops password=s3cret dbname=mall"),
            "host=db1 user=ops password=*** dbname=mall");
  EXPECT_EQ(RedactedConninfo("host=db1 password='a b\\'c' dbname=mall"),
            "host=db1 password=*** dbname=mall");
}

TEST(RedactedConninfoTest, WhatHoldsNoPasswordIsShownAsItIs) {
  for (const char* shown :
       {"postgresql://ops@db1/mall", "postgresql://db1:5432/mall", "postgresql://",
        "postgresql:///mall?host=/tmp/s@x", "host=/tmp/x user=loyalty dbname=test_1",
        "./data:dir@here", "host=db1 passwordfile=x"}) {
    EXPECT_EQ(RedactedConninfo(shown), shown);
  }
}

}  // namespace
}  // namespace loyalty::util
