#!/usr/bin/python3
"""Holds N concurrent GET /events streams on a running `shopfloor serve` and measures
what they cost the process (RSS, CPU) and how fast an order change reaches all of them.
Bounded: N streams, E status changes, a timeout per change. Standard library only.

  bench/console_sse.py --port 8080 --pid $(pgrep -n shopfloor) --streams 500 --events 50

The token is the admin token (SHOPFLOOR_ADMIN_TOKEN_FILE, default .run/secrets/admin_token).
Each change is a real API write (an order alternating in_production ↔ quality_check), so
the event goes PostgreSQL NOTIFY → change feed → hub → every stream."""
import argparse
import http.client
import json
import os
import selectors
import socket
import sys
import time


def proc_stats(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    ticks = os.sysconf('SC_CLK_TCK')
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    rss_kb = 0
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                rss_kb = int(line.split()[1])
    return cpu, rss_kb


def api(port, token, method, path, body=None):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={'Authorization': f'Bearer {token}', 'Content-Type': 'application/json'})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise RuntimeError(f'{method} {path}: {r.status} {data[:200]}')
    return json.loads(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=8080)
    ap.add_argument('--pid', type=int, required=True)
    ap.add_argument('--streams', type=int, default=500)
    ap.add_argument('--events', type=int, default=50)
    ap.add_argument('--interval', type=float, default=0.1, help='seconds between changes')
    ap.add_argument('--token-file', default=os.environ.get('SHOPFLOOR_ADMIN_TOKEN_FILE', '.run/secrets/admin_token'))
    ap.add_argument('--work-center', default='CNC-1')
    ap.add_argument('--sku', default='BRK-200')
    a = ap.parse_args()
    token = open(a.token_file).read().strip()

    order = api(a.port, token, 'POST', '/orders', {'customer': 'SSE bench', 'product_sku': a.sku, 'quantity': 1,
                                                   'work_center': a.work_center, 'due_date': '2030-01-01'})['number']
    for s in ('approved', 'in_production'):
        api(a.port, token, 'POST', f'/orders/{order}/status', {'status': s})
    time.sleep(0.5)

    cpu0, rss0 = proc_stats(a.pid)
    sel = selectors.DefaultSelector()
    streams = []
    began = time.monotonic()
    for i in range(a.streams):
        s = socket.create_connection(('127.0.0.1', a.port), timeout=10)
        s.sendall(f'GET /events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n'.encode())
        s.setblocking(False)
        st = {'sock': s, 'buf': b'', 'frames': 0, 'ready': False, 'closed': False}
        streams.append(st)
        sel.register(s, selectors.EVENT_READ, st)

    def pump(until, predicate):
        while time.monotonic() < until:
            if predicate():
                return True
            for key, _ in sel.select(timeout=0.05):
                st = key.data
                try:
                    chunk = st['sock'].recv(65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    st['closed'] = True
                    sel.unregister(st['sock'])
                    continue
                st['buf'] += chunk
                while b'\n\n' in st['buf']:
                    frame, st['buf'] = st['buf'].split(b'\n\n', 1)
                    if b'event: ready' in frame:
                        st['ready'] = True
                    elif b'event: orders' in frame and order.encode() in frame:
                        st['frames'] += 1
        return predicate()

    ok = pump(time.monotonic() + 30, lambda: all(s['ready'] for s in streams))
    opened = time.monotonic() - began
    time.sleep(1)
    pump(time.monotonic() + 0.2, lambda: False)
    cpu1, rss1 = proc_stats(a.pid)
    print(f'streams: {a.streams} open and ready: {ok} in {opened:.2f} s')
    print(f'process RSS: {rss0 / 1024:.1f} MiB before, {rss1 / 1024:.1f} MiB with the streams '
          f'(+{(rss1 - rss0) / a.streams:.1f} KiB per stream); CPU to open them {cpu1 - cpu0:.2f} s')

    latencies = []
    status = 'in_production'
    t_events = time.monotonic()
    for k in range(1, a.events + 1):
        status = 'quality_check' if status == 'in_production' else 'in_production'
        t0 = time.monotonic()
        api(a.port, token, 'POST', f'/orders/{order}/status', {'status': status})
        if not pump(t0 + 10, lambda: all(s['frames'] >= k for s in streams if not s['closed'])):
            print(f'change {k}: not delivered to every stream within 10 s', file=sys.stderr)
        latencies.append(time.monotonic() - t0)
        pump(time.monotonic() + a.interval, lambda: False)
    window = time.monotonic() - t_events
    cpu2, rss2 = proc_stats(a.pid)
    closed = sum(s['closed'] for s in streams)
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
    print(f'{a.events} changes, each to {a.streams - closed} streams ({closed} closed): write → all delivered '
          f'p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {latencies[-1] * 1000:.1f} ms')
    print(f'while changing: CPU {cpu2 - cpu1:.2f} s over {window:.1f} s ({100 * (cpu2 - cpu1) / window:.1f}% of one core), '
          f'RSS {rss2 / 1024:.1f} MiB')
    idle0 = proc_stats(a.pid)[0]
    time.sleep(5)
    idle1 = proc_stats(a.pid)[0]
    print(f'idle with {a.streams} streams: CPU {100 * (idle1 - idle0) / 5:.2f}% of one core')
    for s in streams:
        s['sock'].close()


if __name__ == '__main__':
    main()
