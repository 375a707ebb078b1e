// StaticFiles: a folder of static assets (the operator console, web/) served from memory.
//
// load() reads every regular file under the folder once, at start-up: its bytes, a
// gzip-compressed copy (kept only when smaller), a strong ETag (a hash of the bytes) and
// the media type from the extension. add_static_routes() adds one GET route per file
// ("/index.html" is also served at "/"), so unknown paths stay ordinary 404s and the
// route label of each request stays bounded (one per file).
//
// Every answer carries the console's security headers: a strict Content-Security-Policy
// (scripts, styles and connections from this origin only, no inline script, no framing),
// `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`; plus `ETag`,
// `Cache-Control: no-cache` (revalidate every time: the names carry no version, and a
// 304 costs one round trip) and `Vary: Accept-Encoding`. `If-None-Match` with the
// current ETag → 304; `Accept-Encoding: gzip` → the compressed copy.
//
// Files are read at start-up only: changing web/ needs a restart. Files whose name
// starts with '.' are skipped.
//
// Thread-safety: immutable after load(); shared read-only by every shard.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "http/message.hpp"
#include "http/router.hpp"

namespace shopfloor::http {

// The headers every console answer carries (also used by the event stream).
HeaderList console_security_headers();

struct StaticFile {
  std::string content_type;
  std::string body;
  std::string gzip;  // empty when compressing does not make it smaller
  std::string etag;  // quoted, e.g. "\"3f2a…\""
};

class StaticFiles {
 public:
  // Reads the folder; a missing folder gives an empty set (the caller decides whether
  // that matters). Throws std::runtime_error when a file cannot be read.
  static std::shared_ptr<const StaticFiles> load(const std::filesystem::path& root);

  std::size_t size() const { return files_.size(); }
  // By URL path ("/views/orders.js"); nullptr when absent.
  const StaticFile* find(const std::string& url_path) const;

  // The answer for `req` (200, 304), with the headers described above.
  Response answer(const StaticFile& file, const Request& req) const;

  const std::map<std::string, StaticFile>& files() const { return files_; }

 private:
  std::map<std::string, StaticFile> files_;
};

// GET (and so HEAD) routes for every file, and "/" for /index.html when present.
void add_static_routes(Router& router, std::shared_ptr<const StaticFiles> files);

}  // namespace shopfloor::http
