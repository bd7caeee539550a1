// Big-endian numbers: the byte order the ledger's keys rely on.
#include "util/big_endian.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace loyalty::util {
namespace {

TEST(BigEndianTest, MostSignificantByteFirst) {
  EXPECT_EQ(BigEndian64(0x0102030405060708), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  char encoded[8];
  EncodeBigEndian64(0x0102030405060708, encoded);
  EXPECT_EQ(std::string(encoded, 8), BigEndian64(0x0102030405060708));
  std::string appended = "k";
  PutBigEndian64(&appended, 1);
  EXPECT_EQ(appended, std::string("k\0\0\0\0\0\0\0\x01", 9));
}

TEST(BigEndianTest, DecodesWhatItEncodes) {
  for (uint64_t value : {uint64_t{0}, uint64_t{1}, uint64_t{255}, uint64_t{256},
                         uint64_t{0x8000000000000000}, UINT64_MAX}) {
    EXPECT_EQ(DecodeBigEndian64(BigEndian64(value)), value);
  }
  // Only the first 8 bytes count.
  EXPECT_EQ(DecodeBigEndian64(BigEndian64(7) + "tail"), 7u);
}

TEST(BigEndianTest, ByteOrderIsNumericOrder) {
  EXPECT_LT(BigEndian64(255), BigEndian64(256));
  EXPECT_LT(BigEndian64(0x00ffffffffffffff), BigEndian64(0x0100000000000000));
}

}  // namespace
}  // namespace loyalty::util
