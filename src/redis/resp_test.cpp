// Unit tests of the pure parts: RESP formatting and parsing, script digests,
// error codes. No server needed.
#include "redis/resp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "redis/errors.hpp"
#include "redis/script.hpp"

namespace shopfloor::redis {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

std::vector<Reply> parse_all(ReplyReader& reader) {
  std::vector<Reply> out;
  while (auto r = reader.next()) out.push_back(std::move(*r));
  return out;
}

std::vector<Reply> parse_whole(std::string_view bytes) {
  ReplyReader reader;
  reader.feed(bytes);
  auto out = parse_all(reader);
  EXPECT_FALSE(reader.failed()) << reader.error();
  return out;
}

Reply make(Reply::Type type) {
  Reply r;
  r.type = type;
  return r;
}
Reply text(Reply::Type type, std::string s) {
  Reply r = make(type);
  r.str = std::move(s);
  return r;
}
Reply str(std::string s) {
  return text(Reply::Type::string, std::move(s));
}
Reply status(std::string s) {
  return text(Reply::Type::status, std::move(s));
}
Reply err(std::string s) {
  return text(Reply::Type::error, std::move(s));
}
Reply integer(long long v) {
  Reply r = make(Reply::Type::integer);
  r.integer = v;
  return r;
}
Reply nil() {
  return {};
}
Reply array(std::vector<Reply> e) {
  Reply r = make(Reply::Type::array);
  r.elements = std::move(e);
  return r;
}

TEST(FormatCommand, IsBinarySafe) {
  const std::string key = "k\0ey"s;
  const std::string value = "va\r\nl\0"s;
  std::vector<std::string_view> args{"SET", key, value, ""};
  EXPECT_EQ(format_command(args),
            "*4\r\n$3\r\nSET\r\n$4\r\nk\0ey\r\n$6\r\nva\r\nl\0\r\n$0\r\n\r\n"s);
}

TEST(FormatCommand, StringAndViewOverloadsAgreeAndAppend) {
  std::vector<std::string> owned{"GET", "sf:x"};
  std::vector<std::string_view> viewed{"GET", "sf:x"};
  EXPECT_EQ(format_command(owned), format_command(viewed));
  std::string pipeline;
  append_command(pipeline, owned);
  append_command(pipeline, viewed);
  EXPECT_EQ(pipeline, "*2\r\n$3\r\nGET\r\n$4\r\nsf:x\r\n*2\r\n$3\r\nGET\r\n$4\r\nsf:x\r\n");
}

TEST(FormatCommand, ManyArguments) {
  std::vector<std::string> args{"MGET"};
  for (int i = 0; i < 40; ++i) args.push_back("k" + std::to_string(i));
  std::string bytes = format_command(args);
  EXPECT_TRUE(bytes.starts_with("*41\r\n$4\r\nMGET\r\n$2\r\nk0\r\n"));
  EXPECT_TRUE(bytes.ends_with("$3\r\nk39\r\n"));
}

TEST(ReplyReader, EveryType) {
  auto replies = parse_whole(
      "+OK\r\n-ERR bad thing\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
      "$4\r\na\r\nb\r\n"sv);
  ASSERT_EQ(replies.size(), 10u);
  EXPECT_EQ(replies[0], status("OK"));
  EXPECT_TRUE(replies[0].is_ok());
  EXPECT_EQ(replies[1], err("ERR bad thing"));
  EXPECT_TRUE(replies[1].is_error());
  EXPECT_EQ(replies[2], integer(42));
  EXPECT_EQ(replies[3], integer(-7));
  EXPECT_EQ(replies[4], str("hello"));
  EXPECT_EQ(replies[5], str(""));
  EXPECT_TRUE(replies[5].is_string());
  EXPECT_TRUE(replies[6].is_nil());
  EXPECT_TRUE(replies[7].is_nil());
  EXPECT_EQ(replies[8], array({}));
  EXPECT_EQ(replies[9], str("a\r\nb"));
}

TEST(ReplyReader, BinaryBulkString) {
  auto replies = parse_whole("$3\r\n\0\r\x01\r\n"sv);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].str, "\0\r\x01"s);
}

TEST(ReplyReader, NestedArrays) {
  auto replies =
      parse_whole("*4\r\n:1\r\n*2\r\n$1\r\na\r\n*2\r\n+x\r\n-E y\r\n$-1\r\n*1\r\n*0\r\n"sv);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], array({integer(1), array({str("a"), array({status("x"), err("E y")})}),
                               nil(), array({array({})})}));
}

// A stream mixing every type, nesting and a value longer than a feed piece.
std::string sample_stream() {
  std::string big(20 * 1024, 'v');
  for (std::size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  return "+OK\r\n:123\r\n$" + std::to_string(big.size()) + "\r\n" + big +
         "\r\n*3\r\n$3\r\nfoo\r\n*2\r\n:1\r\n$-1\r\n-NOPERM no\r\n$-1\r\n*0\r\n"
         "$2\r\n\r\n\r\n";
}

std::vector<Reply> sample_replies() {
  std::string bytes = sample_stream();
  std::size_t start = bytes.find("$20480\r\n") + 8;
  return {status("OK"),
          integer(123),
          str(bytes.substr(start, 20 * 1024)),
          array({str("foo"), array({integer(1), nil()}), err("NOPERM no")}),
          nil(),
          array({}),
          str("\r\n")};
}

TEST(ReplyReader, SeveralRepliesInOneFeed) {
  EXPECT_EQ(parse_whole(sample_stream()), sample_replies());
}

TEST(ReplyReader, SplitAtEveryByteBoundary) {
  const std::string bytes = sample_stream();
  const auto expected = sample_replies();
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    ReplyReader reader;
    reader.feed(std::string_view(bytes).substr(0, cut));
    auto got = parse_all(reader);
    reader.feed(std::string_view(bytes).substr(cut));
    auto rest = parse_all(reader);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_FALSE(reader.failed()) << "cut at " << cut << ": " << reader.error();
    ASSERT_EQ(got, expected) << "cut at " << cut;
  }
}

TEST(ReplyReader, OneByteAtATime) {
  const std::string bytes = sample_stream();
  ReplyReader reader;
  std::vector<Reply> got;
  for (char c : bytes) {
    reader.feed(std::string_view(&c, 1));
    auto some = parse_all(reader);
    got.insert(got.end(), some.begin(), some.end());
  }
  EXPECT_FALSE(reader.failed());
  EXPECT_EQ(got, sample_replies());
}

TEST(ReplyReader, ConsumeFeedsLargeInputInPiecesAndKeepsOrder) {
  std::string bytes;
  std::vector<Reply> expected;
  for (int i = 0; i < 200; ++i) {
    std::string value(1000 + i * 97, static_cast<char>('a' + i % 26));
    bytes +=
        "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n:" + std::to_string(i) + "\r\n";
    expected.push_back(str(value));
    expected.push_back(integer(i));
  }
  ReplyReader reader;
  std::vector<Reply> got;
  EXPECT_TRUE(reader.consume(bytes, [&](Reply&& r) {
    got.push_back(std::move(r));
    return true;
  }));
  EXPECT_EQ(got, expected);
}

TEST(ReplyReader, ConsumeStopsWhenAsked) {
  ReplyReader reader;
  int seen = 0;
  EXPECT_FALSE(reader.consume(":1\r\n:2\r\n:3\r\n", [&](Reply&&) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2);
}

TEST(ReplyReader, ProtocolErrorIsReportedAndSticky) {
  ReplyReader reader;
  reader.feed("+OK\r\n?what\r\n:1\r\n");
  auto first = reader.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->is_ok());
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_TRUE(reader.failed());
  EXPECT_FALSE(reader.error().empty());
  reader.feed(":2\r\n");
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_TRUE(reader.failed());
}

TEST(ReplyReader, BadLengthIsAProtocolError) {
  ReplyReader reader;
  reader.feed("$abc\r\n");
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_TRUE(reader.failed());
}

TEST(ReplyReader, ReaderIsMovable) {
  ReplyReader a;
  a.feed("*2\r\n:1\r\n");
  EXPECT_FALSE(a.next().has_value());  // half an array buffered
  ReplyReader b = std::move(a);
  b.feed(":2\r\n");
  auto r = b.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, array({integer(1), integer(2)}));
}

TEST(Reply, ErrorCodeMatchesFirstWordOnly) {
  EXPECT_TRUE(err("NOSCRIPT No matching script. Please use EVAL.").is_error_code("NOSCRIPT"));
  EXPECT_TRUE(err("NOPERM").is_error_code("NOPERM"));
  EXPECT_FALSE(err("NOSCRIPTX y").is_error_code("NOSCRIPT"));
  EXPECT_FALSE(str("NOSCRIPT y").is_error_code("NOSCRIPT"));
}

TEST(Reply, ToStringIsReadable) {
  EXPECT_EQ(to_string(array({str("a"), integer(2), nil(), err("E x")})),
            "[\"a\", (integer) 2, (nil), (error) E x]");
}

TEST(Script, Sha1MatchesTheServersDigest) {
  // `echo -n "return 1" | sha1sum`; Redis computes the same for SCRIPT LOAD.
  Script script("return 1");
  EXPECT_EQ(script.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(script.body(), "return 1");
}

TEST(Errors, AreErrorCodesWithMessages) {
  boost::system::error_code ec = error::timeout;
  EXPECT_EQ(ec, make_error_code(error::timeout));
  EXPECT_EQ(&ec.category(), &error_category());
  EXPECT_EQ(ec.message(), "redis command timed out");
  EXPECT_NE(make_error_code(error::not_connected), make_error_code(error::connection_lost));
  EXPECT_FALSE(make_error_code(error::auth_failed).message().empty());
}

}  // namespace
}  // namespace shopfloor::redis
