"""Checks one scrape of /metrics (already accepted by `promtool check metrics`).

    metrics_check.py METRICS_FILE DASHBOARD_JSON ALERTS_YML VERSION

- every family docs/metrics.md promises is present, with sane values for a service
  that is up: Redis connected, listener LISTENing, nothing in the ledger, breakers
  closed, pool gauges consistent, process readings plausible, build_info = 1 with the
  binary's version;
- the Grafana dashboard is valid JSON, uses the datasource variable everywhere, and
  every metric its expressions name exists in this scrape (so it cannot drift);
- the same for the metric names in the alert rules.
Exits non-zero with one line per problem. Standard library only.
"""
import json
import re
import sys

problems = []


def problem(text):
    problems.append(text)


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    samples = []  # (name, {labels}, value)
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            problem(f"unparsable sample line: {line}")
            continue
        labels = dict(LABEL.findall(m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples, types


def main():
    metrics_file, dashboard_file, alerts_file, version = sys.argv[1:5]
    samples, types = parse(open(metrics_file, encoding="utf-8").read())
    names = {s[0] for s in samples}

    def values(name, **want):
        return [v for n, labels, v in samples
                if n == name and all(labels.get(k) == w for k, w in want.items())]

    def one(name, **want):
        vs = values(name, **want)
        if not vs:
            problem(f"missing {name}{want or ''}")
            return None
        return sum(vs)

    def expect(cond, text):
        if not cond:
            problem(text)

    # ---- the families docs/metrics.md lists, by type
    required = {
        "shopfloor_build_info": "gauge",
        "shopfloor_uptime_seconds": "gauge",
        "process_resident_memory_bytes": "gauge",
        "process_virtual_memory_bytes": "gauge",
        "process_open_fds": "gauge",
        "process_max_fds": "gauge",
        "process_cpu_seconds_total": "counter",
        "process_start_time_seconds": "gauge",
        "shopfloor_redis_connections_up": "gauge",
        "shopfloor_redis_reconnects_total": "counter",
        "shopfloor_redis_connection_errors_total": "counter",
        "shopfloor_redis_command_duration_seconds": "histogram",
        "shopfloor_redis_command_timeouts_total": "counter",
        "shopfloor_redis_command_errors_total": "counter",
        "shopfloor_pg_pool_connections": "gauge",
        "shopfloor_pg_pool_max_connections": "gauge",
        "shopfloor_pg_pool_waiting": "gauge",
        "shopfloor_pg_pool_waits_total": "counter",
        "shopfloor_pg_pool_wait_duration_seconds": "histogram",
        "shopfloor_pg_pool_errors_total": "counter",
        "shopfloor_listener_connected": "gauge",
        "shopfloor_listener_resyncs_total": "counter",
        "shopfloor_listener_notifications_total": "counter",
        "shopfloor_listener_handling_duration_seconds": "histogram",
        "shopfloor_listener_handler_failures_total": "counter",
        "shopfloor_cache_ledger_pending_namespaces": "gauge",
        "shopfloor_cache_breaker_open": "gauge",
        "shopfloor_cache_breaker_opens_total": "counter",
        # kept from before, names unchanged
        "shopfloor_http_requests_total": "counter",
        "shopfloor_http_request_duration_seconds": "histogram",
        "shopfloor_http_connections_active": "gauge",
        "shopfloor_cache_requests_total": "counter",
        "shopfloor_cache_backend_duration_seconds": "histogram",
        "shopfloor_pricing_calculations_total": "counter",
    }
    for name, kind in required.items():
        expect(types.get(name) == kind, f"{name}: TYPE {types.get(name)}, expected {kind}")

    # ---- sane values for a service that is up and has served a little traffic
    build = values("shopfloor_build_info", version=version)
    expect(build == [1.0], f"shopfloor_build_info{{version=\"{version}\"}} is {build}, expected [1]")
    rss = one("process_resident_memory_bytes")
    expect(rss is not None and rss > 4 * 1024 * 1024, f"process_resident_memory_bytes {rss}")
    fds, max_fds = one("process_open_fds"), one("process_max_fds")
    expect(fds is not None and max_fds is not None and 5 <= fds <= max_fds,
           f"process_open_fds {fds} (max {max_fds})")
    up = one("shopfloor_uptime_seconds")
    expect(up is not None and 0 < up < 3600, f"shopfloor_uptime_seconds {up}")

    redis_up = one("shopfloor_redis_connections_up")
    expect(redis_up is not None and redis_up >= 1, f"shopfloor_redis_connections_up {redis_up}")
    cmds = one("shopfloor_redis_command_duration_seconds_count")
    expect(cmds is not None and cmds >= 1, f"no Redis command latency observed ({cmds})")
    for kind in ("not_connected", "connection_lost", "reply", "io"):
        expect(values("shopfloor_redis_command_errors_total", kind=kind) != [],
               f"shopfloor_redis_command_errors_total{{kind=\"{kind}\"}} missing")

    max_conn = one("shopfloor_pg_pool_max_connections")
    in_use = one("shopfloor_pg_pool_connections", state="in_use")
    idle = one("shopfloor_pg_pool_connections", state="idle")
    if None not in (max_conn, in_use, idle):
        expect(max_conn >= 1 and in_use >= 0 and idle >= 0 and in_use + idle <= max_conn,
               f"pool gauges: in_use {in_use} idle {idle} max {max_conn}")
        expect(in_use + idle >= 1, "the pool has no connection although queries ran")
    expect(one("shopfloor_pg_pool_waiting") == 0, "shopfloor_pg_pool_waiting not 0 when idle")

    expect(one("shopfloor_listener_connected") == 1, "shopfloor_listener_connected is not 1")
    resyncs = one("shopfloor_listener_resyncs_total")
    expect(resyncs is not None and resyncs >= 1, f"shopfloor_listener_resyncs_total {resyncs}")
    got = one("shopfloor_listener_notifications_total", channel="sf_pricing_changed")
    expect(got is not None and got >= 1, f"no sf_pricing_changed notification counted ({got})")
    handled = one("shopfloor_listener_handling_duration_seconds_count",
                  channel="sf_pricing_changed")
    expect(handled is not None and handled >= 1,
           f"no sf_pricing_changed retirement timed ({handled})")

    expect(one("shopfloor_cache_ledger_pending_namespaces") == 0, "the ledger is not empty")
    breakers = values("shopfloor_cache_breaker_open")
    expect(breakers and all(v == 0 for v in breakers), f"breakers {breakers}, expected all 0")

    # ---- the dashboard and the alert rules use only metrics that exist
    referenced = re.compile(r"\b((?:shopfloor|process)_[a-z0-9_]+)")
    try:
        dashboard = json.load(open(dashboard_file, encoding="utf-8"))
    except ValueError as e:
        problem(f"{dashboard_file}: not JSON: {e}")
        dashboard = {}
    variables = [v.get("name") for v in dashboard.get("templating", {}).get("list", [])]
    expect("datasource" in variables, "dashboard: no datasource variable")
    exprs = []

    def walk(panels):
        for p in panels:
            if p.get("type") != "row":
                ds = p.get("datasource", {})
                expect(isinstance(ds, dict) and ds.get("uid") == "${datasource}",
                       f"dashboard panel '{p.get('title')}': datasource is not ${{datasource}}")
                expect(p.get("targets"), f"dashboard panel '{p.get('title')}' has no query")
            for t in p.get("targets", []):
                exprs.append((p.get("title"), t.get("expr", "")))
            walk(p.get("panels", []))

    walk(dashboard.get("panels", []))
    for v in dashboard.get("templating", {}).get("list", []):
        q = v.get("query")
        exprs.append((f"variable {v.get('name')}", q.get("query", "") if isinstance(q, dict) else q))
    titles = " ".join(p.get("title", "").lower() for p in dashboard.get("panels", []))
    for topic in ("requests", "latency", "hit ratio", "bypass", "ledger", "breaker", "pool",
                  "redis"):
        expect(topic in titles, f"dashboard: no panel about {topic}")
    for title, expr in exprs:
        for name in referenced.findall(expr or ""):
            expect(name in names or name in types, f"dashboard '{title}': {name} is not in /metrics")
    for name in referenced.findall(open(alerts_file, encoding="utf-8").read()):
        expect(name in names or name in types, f"{alerts_file}: {name} is not in /metrics")

    for p in problems:
        print(f"metrics_check: {p}")
    print(f"metrics_check: {len(samples)} samples, {len(types)} families, "
          f"{len(exprs)} dashboard queries: {'OK' if not problems else 'FAILED'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
