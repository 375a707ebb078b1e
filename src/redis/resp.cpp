// RESP2 formatting and parsing on top of hiredis, building Reply values in place.
//
// The reader installs its own hiredis object functions: each reply element is
// constructed directly inside its parent's `elements` (appended in order; see
// kMaxArrayReserve) and the top-level reply lives in the reader itself, so
// parsing a reply allocates only for strings and arrays, and nothing is
// converted afterwards.
#include "redis/resp.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <utility>

namespace shopfloor::redis {

bool Reply::is_error_code(std::string_view code) const {
  if (type != Type::error || str.size() < code.size()) return false;
  if (std::string_view(str).substr(0, code.size()) != code) return false;
  return str.size() == code.size() || str[code.size()] == ' ';
}

std::string_view to_string(Reply::Type type) {
  switch (type) {
    case Reply::Type::nil:
      return "nil";
    case Reply::Type::status:
      return "status";
    case Reply::Type::error:
      return "error";
    case Reply::Type::integer:
      return "integer";
    case Reply::Type::string:
      return "string";
    case Reply::Type::array:
      return "array";
  }
  return "unknown";
}

std::string to_string(const Reply& reply) {
  constexpr std::size_t kMaxShown = 64;
  auto quoted = [&](const std::string& s) {
    std::string out = "\"";
    out.append(s, 0, std::min(s.size(), kMaxShown));
    if (s.size() > kMaxShown) out += "...(" + std::to_string(s.size()) + " bytes)";
    return out + "\"";
  };
  switch (reply.type) {
    case Reply::Type::nil:
      return "(nil)";
    case Reply::Type::status:
      return reply.str;
    case Reply::Type::error:
      return "(error) " + reply.str;
    case Reply::Type::integer:
      return "(integer) " + std::to_string(reply.integer);
    case Reply::Type::string:
      return quoted(reply.str);
    case Reply::Type::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < reply.elements.size(); ++i) {
        if (i) out += ", ";
        out += to_string(reply.elements[i]);
      }
      return out + "]";
    }
  }
  return "?";
}

// ------------------------------------------------------------------ formatting

namespace {

// argv/argvlen arrays for redisFormatCommandArgv without a heap allocation for
// the usual short commands.
template <class Arg>
void append_argv(std::string& out, std::span<const Arg> args) {
  constexpr std::size_t kInline = 16;
  std::array<const char*, kInline> argv_inline;
  std::array<std::size_t, kInline> lens_inline;
  std::vector<const char*> argv_heap;
  std::vector<std::size_t> lens_heap;
  const char** argv = argv_inline.data();
  std::size_t* lens = lens_inline.data();
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    lens_heap.resize(args.size());
    argv = argv_heap.data();
    lens = lens_heap.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  char* cmd = nullptr;
  int len = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), argv, lens);
  if (len < 0 || cmd == nullptr) throw std::bad_alloc();
  out.append(cmd, static_cast<std::size_t>(len));
  redisFreeCommand(cmd);
}

}  // namespace

void append_command(std::string& out, std::span<const std::string_view> args) {
  append_argv(out, args);
}
void append_command(std::string& out, std::span<const std::string> args) {
  append_argv(out, args);
}

std::string format_command(std::span<const std::string_view> args) {
  std::string out;
  append_argv(out, args);
  return out;
}
std::string format_command(std::span<const std::string> args) {
  std::string out;
  append_argv(out, args);
  return out;
}

// --------------------------------------------------------------------- reading

namespace {

// An array header's element count is the server's word: "*2000000000\r\n" is 13 bytes.
// Reserving that many Replies up front (72 bytes each) let one short reply make the
// process allocate gigabytes (found by fuzz/resp_fuzz.cpp). Reserve at most this many;
// elements beyond are appended as they arrive, so memory follows the bytes received.
constexpr std::size_t kMaxArrayReserve = 1024;

// The Reply a hiredis task fills: the reader's root for a top-level reply
// (reset first), else the next element of the parent array. Elements arrive in order
// (idx 0, 1, ...), and appending one moves only its finished siblings: hiredis keeps
// pointers to the arrays still being filled (the parents), never to finished elements.
Reply* slot_for(const redisReadTask* task) {
  if (task->parent != nullptr) {
    auto& elements = static_cast<Reply*>(task->parent->obj)->elements;
    const auto idx = static_cast<std::size_t>(task->idx);
    if (idx >= elements.size()) elements.resize(idx + 1);
    return &elements[idx];
  }
  auto* root = static_cast<Reply*>(task->privdata);
  *root = Reply{};
  return root;
}

void* create_string(const redisReadTask* task, char* str, size_t len) {
  Reply* r = slot_for(task);
  switch (task->type) {
    case REDIS_REPLY_STATUS:
      r->type = Reply::Type::status;
      break;
    case REDIS_REPLY_ERROR:
      r->type = Reply::Type::error;
      break;
    default:
      r->type = Reply::Type::string;
      break;
  }
  r->str.assign(str, len);
  return r;
}

void* create_array(const redisReadTask* task, int elements) {
  Reply* r = slot_for(task);
  r->type = Reply::Type::array;
  r->elements.reserve(std::min(static_cast<std::size_t>(elements), kMaxArrayReserve));
  return r;
}

void* create_integer(const redisReadTask* task, long long value) {
  Reply* r = slot_for(task);
  r->type = Reply::Type::integer;
  r->integer = value;
  return r;
}

void* create_nil(const redisReadTask* task) {
  Reply* r = slot_for(task);
  r->type = Reply::Type::nil;
  return r;
}

// Every object is owned by the reader's root; hiredis only ever frees roots.
void free_object(void*) {}

redisReplyObjectFunctions kReplyFunctions = {create_string, create_array, create_integer,
                                             create_nil, free_object};

// Keep hiredis' buffer between replies unless it grew past this: a 20 KB value
// would otherwise free and reallocate the buffer on every reply.
constexpr std::size_t kReaderKeepBuffer = 1 << 20;

}  // namespace

ReplyReader::ReplyReader()
    : reader_(redisReaderCreateWithFunctions(&kReplyFunctions)), root_(std::make_unique<Reply>()) {
  if (reader_ == nullptr) throw std::bad_alloc();
  reader_->privdata = root_.get();
  reader_->maxbuf = kReaderKeepBuffer;
}

ReplyReader::~ReplyReader() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

ReplyReader::ReplyReader(ReplyReader&& other) noexcept
    : reader_(std::exchange(other.reader_, nullptr)),
      root_(std::move(other.root_)),
      error_(std::move(other.error_)) {}

ReplyReader& ReplyReader::operator=(ReplyReader&& other) noexcept {
  if (this != &other) {
    if (reader_ != nullptr) redisReaderFree(reader_);
    reader_ = std::exchange(other.reader_, nullptr);
    root_ = std::move(other.root_);
    error_ = std::move(other.error_);
  }
  return *this;
}

void ReplyReader::feed(std::string_view bytes) {
  if (failed() || bytes.empty()) return;
  if (redisReaderFeed(reader_, bytes.data(), bytes.size()) != REDIS_OK) {
    error_ = reader_->errstr[0] ? reader_->errstr : "cannot buffer reply bytes";
  }
}

std::optional<Reply> ReplyReader::next() {
  if (failed()) return std::nullopt;
  void* out = nullptr;
  if (redisReaderGetReply(reader_, &out) != REDIS_OK) {
    error_ = reader_->errstr[0] ? reader_->errstr : "protocol error";
    return std::nullopt;
  }
  if (out == nullptr) return std::nullopt;
  return std::optional<Reply>(std::move(*root_));
}

}  // namespace shopfloor::redis
