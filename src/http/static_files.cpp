// Static files from memory: loading, compression, conditional answers.
#include "http/static_files.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "http/gzip.hpp"

namespace shopfloor::http {
namespace {

namespace fs = std::filesystem;

std::string media_type(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

// FNV-1a 64 over the bytes, twice with different seeds: an ETag only has to change when
// the bytes do, not resist an attacker.
std::string etag_of(std::string_view data) {
  auto fnv = [&](std::uint64_t h) {
    for (unsigned char c : data) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    return h;
  };
  char buf[40];
  std::snprintf(buf, sizeof buf, "\"%016llx%016llx\"",
                static_cast<unsigned long long>(fnv(14695981039346656037ULL)),
                static_cast<unsigned long long>(fnv(1469598103934665603ULL ^ data.size())));
  return buf;
}

bool etag_matches(std::string_view header, std::string_view etag) {
  if (header == "*") return true;
  // A comma list; weak validators compare equal for GET (RFC 9110 13.1.2).
  std::size_t at = 0;
  while (at < header.size()) {
    auto end = header.find(',', at);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(at, end - at);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
    at = end + 1;
  }
  return false;
}

}  // namespace

HeaderList console_security_headers() {
  return {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
  };
}

std::shared_ptr<const StaticFiles> StaticFiles::load(const fs::path& root) {
  auto out = std::make_shared<StaticFiles>();
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.filename().string().starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::stringstream ss;
    ss << in.rdbuf();
    StaticFile f;
    f.body = ss.str();
    f.content_type = media_type(p);
    f.etag = etag_of(f.body);
    if (f.body.size() > 256) {
      std::string z = gzip_compress(f.body, kGzipSmallest);
      if (z.size() < f.body.size()) f.gzip = std::move(z);
    }
    out->files_.emplace("/" + fs::relative(p, root).generic_string(), std::move(f));
  }
  return out;
}

const StaticFile* StaticFiles::find(const std::string& url_path) const {
  auto it = files_.find(url_path);
  return it == files_.end() ? nullptr : &it->second;
}

Response StaticFiles::answer(const StaticFile& file, const Request& req) const {
  Response r;
  r.headers = console_security_headers();
  r.headers.emplace_back("ETag", file.etag);
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (auto inm = req.header("if-none-match"); inm && etag_matches(*inm, file.etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.content_type = file.content_type;
  if (!file.gzip.empty() && accepts_gzip(req)) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = file.gzip;
  } else {
    r.body = file.body;
  }
  return r;
}

void add_static_routes(Router& router, std::shared_ptr<const StaticFiles> files) {
  for (const auto& [path, file] : files->files()) {
    const StaticFile* f = &file;
    Handler h = [files, f](const Request& req, const PathParams&) -> asio::awaitable<Response> {
      co_return files->answer(*f, req);
    };
    router.add(Method::get, path, h);
    if (path == "/index.html") router.add(Method::get, "/", h);
  }
}

}  // namespace shopfloor::http
