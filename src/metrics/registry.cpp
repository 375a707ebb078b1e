// Metrics registry: instrument storage and Prometheus text rendering.
#include "metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>

namespace shopfloor::metrics {
namespace {

enum FamilyType { kCounter, kGauge, kHistogram };

constexpr std::string_view type_name(int t) {
  switch (t) {
    case kCounter:
      return "counter";
    case kGauge:
      return "gauge";
    default:
      return "histogram";
  }
}

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool valid_label_name(std::string_view n) {
  if (n.empty() || n.starts_with("__")) return false;  // "__" is reserved by Prometheus
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// Shortest text that reads back to the same double (Go's ParseFloat accepts it).
void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    // Plain decimals in the usual range ("0.0005", not "5e-04"): `le` values are
    // compared as strings by dashboards and client libraries print them this way.
    const double mag = std::fabs(v);
    const auto fmt = (mag == 0 || (mag >= 1e-6 && mag < 1e15)) ? std::chars_format::fixed
                                                               : std::chars_format::general;
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, fmt);
    out.append(buf, ec == std::errc{} ? end : buf);
  }
}

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_help(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// `{a="x",b="y"}` plus an optional trailing `le` (histogram buckets); nothing
// when there are no labels at all.
void append_labels(std::string& out, const Labels& labels, const std::string* le = nullptr) {
  if (labels.empty() && le == nullptr) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    append_label_value(out, v);
    out += '"';
  }
  if (le != nullptr) {
    if (!first) out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

Labels canonical_labels(Labels labels, bool histogram) {
  std::sort(labels.begin(), labels.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!valid_label_name(labels[i].first)) {
      throw std::invalid_argument("metrics: invalid label name '" + labels[i].first + "'");
    }
    if (i > 0 && labels[i].first == labels[i - 1].first) {
      throw std::invalid_argument("metrics: duplicate label '" + labels[i].first + "'");
    }
    if (histogram && labels[i].first == "le") {
      throw std::invalid_argument("metrics: label 'le' is reserved for histogram buckets");
    }
  }
  return labels;
}

std::vector<double> validated_bounds(std::vector<double> b) {
  // A trailing +Inf is implicit; accept it being spelled out.
  if (!b.empty() && std::isinf(b.back()) && b.back() > 0) b.pop_back();
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i]) || (i > 0 && !(b[i - 1] < b[i]))) {
      throw std::invalid_argument("metrics: histogram buckets must be finite and increasing");
    }
  }
  return b;
}

}  // namespace

void Counter::inc(double v) {
  if (!(v >= 0)) return;  // also rejects NaN
  value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(validated_bounds(std::move(bounds))),
      buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  if (std::isnan(v)) return;
  const auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                          bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::uint64_t Histogram::bucket_count(std::size_t i) const {
  return i <= bounds_.size() ? buckets_[i].load(std::memory_order_relaxed) : 0;
}

std::uint64_t Histogram::count() const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) n += bucket_count(i);
  return n;
}

struct Registry::Family {
  std::string name;
  std::string help;
  int type = kCounter;
  std::vector<double> bounds;  // histograms only
  // One entry per label set; exactly one pointer is set, matching `type`.
  struct Instrument {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  std::map<Labels, Instrument> instruments;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family_locked(std::string_view name, std::string_view help, int type,
                                          const std::vector<double>* bounds) {
  for (auto& f : families_) {
    if (f->name != name) continue;
    if (f->type != type) {
      throw std::invalid_argument("metrics: '" + f->name + "' already registered as " +
                                  std::string(type_name(f->type)));
    }
    if (f->help != help) {
      throw std::invalid_argument("metrics: '" + f->name + "' registered with another help");
    }
    if (bounds != nullptr && f->bounds != *bounds) {
      throw std::invalid_argument("metrics: '" + f->name + "' registered with other buckets");
    }
    return *f;
  }
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("metrics: invalid metric name '" + std::string(name) + "'");
  }
  auto f = std::make_unique<Family>();
  f->name = name;
  f->help = help;
  f->type = type;
  if (bounds != nullptr) f->bounds = *bounds;
  families_.push_back(std::move(f));
  return *families_.back();
}

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
  auto key = canonical_labels(std::move(labels), false);
  std::lock_guard lock(mutex_);
  auto& slot = family_locked(name, help, kCounter, nullptr).instruments[std::move(key)];
  if (!slot.counter) slot.counter = std::make_unique<Counter>();
  return *slot.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
  auto key = canonical_labels(std::move(labels), false);
  std::lock_guard lock(mutex_);
  auto& slot = family_locked(name, help, kGauge, nullptr).instruments[std::move(key)];
  if (!slot.gauge) slot.gauge = std::make_unique<Gauge>();
  return *slot.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, Labels labels,
                               std::vector<double> buckets) {
  auto key = canonical_labels(std::move(labels), true);
  const auto bounds = validated_bounds(std::move(buckets));
  std::lock_guard lock(mutex_);
  auto& slot = family_locked(name, help, kHistogram, &bounds).instruments[std::move(key)];
  if (!slot.histogram) slot.histogram = std::make_unique<Histogram>(bounds);
  return *slot.histogram;
}

void Registry::add_collector(std::function<void()> refresh) {
  std::lock_guard lock(collectors_mutex_);
  collectors_.push_back(std::move(refresh));
}

std::string Registry::render() const {
  {
    std::lock_guard collectors_lock(collectors_mutex_);
    for (const auto& refresh : collectors_) refresh();
  }
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& f : families_) {
    if (f->instruments.empty()) continue;
    out += "# HELP ";
    out += f->name;
    out += ' ';
    append_help(out, f->help);
    out += "\n# TYPE ";
    out += f->name;
    out += ' ';
    out += type_name(f->type);
    out += '\n';
    for (const auto& [labels, inst] : f->instruments) {
      if (inst.counter || inst.gauge) {
        out += f->name;
        append_labels(out, labels);
        out += ' ';
        append_number(out, inst.counter ? inst.counter->value() : inst.gauge->value());
        out += '\n';
        continue;
      }
      const Histogram& h = *inst.histogram;
      // Read each bucket once so the cumulative series and _count agree even
      // while other threads keep observing.
      std::uint64_t cumulative = 0;
      std::string le;
      for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
        cumulative += h.bucket_count(i);
        le.clear();
        if (i < h.bounds().size()) {
          append_number(le, h.bounds()[i]);
        } else {
          le = "+Inf";
        }
        out += f->name;
        out += "_bucket";
        append_labels(out, labels, &le);
        out += ' ';
        out += std::to_string(cumulative);
        out += '\n';
      }
      out += f->name;
      out += "_sum";
      append_labels(out, labels);
      out += ' ';
      append_number(out, h.sum());
      out += '\n';
      out += f->name;
      out += "_count";
      append_labels(out, labels);
      out += ' ';
      out += std::to_string(cumulative);
      out += '\n';
    }
  }
  return out;
}

std::vector<double> Registry::default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry& default_registry() {
  static Registry registry;
  return registry;
}

}  // namespace shopfloor::metrics
