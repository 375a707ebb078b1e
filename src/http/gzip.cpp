#include "http/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace shopfloor::http {
namespace {

// windowBits 15 + 16: a gzip header and trailer rather than zlib's.
constexpr int kGzipWindow = 15 + 16;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The q-value of one Accept-Encoding item's parameters (";q=0.5"); 1 when absent.
// A malformed q counts as 0 (refused), the safe reading.
double q_value(std::string_view params) {
  while (!params.empty()) {
    auto end = params.find(';');
    std::string_view p = trim(params.substr(0, end));
    params = end == std::string_view::npos ? std::string_view{} : params.substr(end + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    std::string_view v = p.substr(2);
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    if (v.empty() || (v[0] != '0' && v[0] != '1')) return 0;
    if (v.size() > 1 && (v[1] != '.' || v.size() > 5)) return 0;
    double q = v[0] - '0';
    double scale = 0.1;
    for (std::size_t i = 2; i < v.size(); ++i, scale /= 10) {
      if (!std::isdigit(static_cast<unsigned char>(v[i]))) return 0;
      q += (v[i] - '0') * scale;
    }
    return q > 1 ? 0 : q;
  }
  return 1;
}

}  // namespace

std::string gzip_compress(std::string_view data, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, kGzipWindow, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  return out;
}

std::optional<std::string> gunzip(std::string_view data, std::size_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, kGzipWindow) != Z_OK) return std::nullopt;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  // JSON compresses 3-6x; start there and grow up to the bound.
  std::string out(std::min(max_bytes, std::max<std::size_t>(data.size() * 6, 256)), '\0');
  int rc = Z_OK;
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(out.data() + z.total_out);
    z.avail_out = static_cast<uInt>(out.size() - z.total_out);
    rc = inflate(&z, Z_FINISH);
    if (rc == Z_STREAM_END) break;
    const bool out_full = z.avail_out == 0;
    if ((rc != Z_BUF_ERROR && rc != Z_OK) || !out_full || out.size() >= max_bytes) break;
    out.resize(std::min(max_bytes, out.size() * 2));
  }
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0;  // nothing after the member
  out.resize(z.total_out);
  inflateEnd(&z);
  if (!whole) return std::nullopt;
  return out;
}

bool is_gzip(std::string_view data) {
  return data.size() >= 3 && data[0] == '\x1f' && data[1] == '\x8b' && data[2] == '\x08';
}

bool accepts_gzip(const Request& req) {
  auto ae = req.header("accept-encoding");
  if (!ae) return false;
  std::string_view list = *ae;
  double gzip_q = -1;  // not named
  double any_q = -1;   // "*" not named
  while (!list.empty()) {
    auto end = list.find(',');
    std::string_view item = trim(list.substr(0, end));
    list = end == std::string_view::npos ? std::string_view{} : list.substr(end + 1);
    auto semi = item.find(';');
    std::string_view name = trim(item.substr(0, semi));
    double q = q_value(semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1));
    if (iequals(name, "gzip") || iequals(name, "x-gzip"))
      gzip_q = std::max(gzip_q, q);
    else if (name == "*")
      any_q = std::max(any_q, q);
  }
  // A named gzip decides; otherwise "*" covers it.
  return gzip_q >= 0 ? gzip_q > 0 : any_q > 0;
}

}  // namespace shopfloor::http
