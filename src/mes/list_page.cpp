#include "mes/list_page.hpp"

#include <charconv>

namespace shopfloor::mes {
namespace {

std::optional<long long> number(std::string_view s) {
  long long v = 0;
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::string encode_id_page(const IdPage& page) {
  std::string out = std::to_string(page.total);
  out.reserve(out.size() + 1 + page.ids.size() * 8);
  out += ';';
  for (std::size_t i = 0; i < page.ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(page.ids[i]);
  }
  return out;
}

std::optional<IdPage> decode_id_page(std::string_view encoded) {
  const auto semicolon = encoded.find(';');
  if (semicolon == std::string_view::npos) return std::nullopt;
  IdPage page;
  auto total = number(encoded.substr(0, semicolon));
  if (!total) return std::nullopt;
  page.total = *total;
  std::string_view rest = encoded.substr(semicolon + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    auto id = number(rest.substr(0, comma));
    if (!id || *id < 1) return std::nullopt;
    page.ids.push_back(*id);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
    if (rest.empty()) return std::nullopt;  // a trailing comma
  }
  return page;
}

std::string list_body(const std::vector<std::string>& rows, int page, int page_size,
                      long long total) {
  std::size_t size = 64;
  for (const auto& r : rows) size += r.size() + 1;
  std::string out;
  out.reserve(size);
  out += "{\"items\":[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i) out += ',';
    out += rows[i];
  }
  out += "],\"page\":";
  out += std::to_string(page);
  out += ",\"page_size\":";
  out += std::to_string(page_size);
  out += ",\"total\":";
  out += std::to_string(total);
  out += '}';
  return out;
}

}  // namespace shopfloor::mes
