// Migration files: directory listing, name parsing, SHA-256.
#include "pg/migration_files.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

namespace shopfloor::pg {
namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}

bool valid_identifier(std::string_view s) {
  return !s.empty() && s.size() <= 63 && is_ident_start(s[0]) &&
         std::all_of(s.begin(), s.end(), is_ident_char);
}

Error file_error(std::string message) {
  return Error::query("", std::move(message));
}

}  // namespace

std::optional<MigrationName> parse_migration_filename(std::string_view filename) {
  constexpr std::string_view ext = ".sql";
  if (!filename.ends_with(ext)) return std::nullopt;
  std::string_view stem = filename.substr(0, filename.size() - ext.size());
  std::size_t digits = 0;
  while (digits < stem.size() && stem[digits] >= '0' && stem[digits] <= '9') ++digits;
  if (digits < 4 || digits > 9 || digits + 1 >= stem.size() || stem[digits] != '_') {
    return std::nullopt;
  }
  std::string_view name = stem.substr(digits + 1);
  if (!std::all_of(name.begin(), name.end(), is_ident_char)) return std::nullopt;
  MigrationName out;
  std::from_chars(stem.data(), stem.data() + digits, out.version);
  out.name = std::string(name);
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

PgResult<std::vector<MigrationFile>> load_migrations(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return file_error("cannot list migrations in " + dir.string() + ": " + ec.message());
  std::vector<MigrationFile> files;
  for (const auto& entry : it) {
    if (!entry.is_regular_file(ec)) continue;
    std::string filename = entry.path().filename().string();
    if (entry.path().extension() != ".sql") continue;
    auto parsed = parse_migration_filename(filename);
    if (!parsed) {
      return file_error("migration file name must look like 0001_name.sql: " + filename);
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) return file_error("cannot read migration " + entry.path().string());
    MigrationFile f;
    f.version = parsed->version;
    f.name = std::move(parsed->name);
    f.filename = std::move(filename);
    f.sql = std::move(text).str();
    f.checksum = sha256_hex(f.sql);
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const MigrationFile& a, const MigrationFile& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].version == files[i - 1].version) {
      return file_error("two migrations with version " + std::to_string(files[i].version) + ": " +
                        files[i - 1].filename + ", " + files[i].filename);
    }
  }
  return files;
}

bool valid_ledger_table(std::string_view name) {
  auto dot = name.find('.');
  if (dot == std::string_view::npos) return valid_identifier(name);
  return valid_identifier(name.substr(0, dot)) && valid_identifier(name.substr(dot + 1));
}

std::string quote_ledger_table(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '.') {
      out += "\".\"";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::int64_t migration_lock_key(std::string_view ledger_table) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix("shopfloor.migrate:");
  mix(ledger_table);
  return static_cast<std::int64_t>(h);
}

}  // namespace shopfloor::pg
