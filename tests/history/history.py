#!/usr/bin/python3
"""Multi-process history checker (issue 10, "Proof"), in the spirit of Jepsen, and the soak.

Starts 3 `shopfloor serve` processes (BIN) on one PostgreSQL and one Redis (the servers of
scripts/devenv.sh, whose settings scripts/test.sh exports), drives them with --threads
client threads (default 32) for --duration seconds (and at most --max-ops operations),
injects faults through $SHOPFLOOR_DEVENV, records every operation with the harness's
monotonic start and end times and its result, then checks the whole history offline.
Run through tests/history_e2etest.sh (which picks the 9 HTTP ports); the long run and the
soak are scripts/history.sh.

Data: each run makes its own work centre H<run>, material HM<run> (1 kg of it per unit of
product HP<run>, no scrap, no machine time: a calculation's "materials" figure is the
material's price x quantity) and customers hist-<run>-c<k>, each with fewer orders than a
page of 200, all due 2099-12-31 (never overdue, never due today). Every order has a unique
quantity (its tag), so an order created by a request whose answer was lost is still
recognised. Orders outside the run ("baseline") must not change during the run: the test
runs alone on its database (scripts/test.sh runs integration tests one at a time).

Operations: reads of one order (GET /orders/{n}), of a customer's list (all its orders on
one page, unfiltered or filtered by statuses), of global lists (unfiltered, or by
statuses), of the dashboard and of cost calculations (POST /calculations), spread at
random over the 3 processes; writes: status changes (POST /orders/{n}/status), new
orders (POST /orders), material price changes (PUT /materials/{code}), and direct SQL
changes made with psql as another system would (a status change with its history row, a
history row alone, a material price).

Versions. Every order has one owner thread that writes it, one write at a time, so its
states form a chain: version 0 is the new order, each later write adds exactly one
history row, so version = len(history). Status changes follow new -> approved ->
in_production -> quality_check -> ready -> shipped only, so the status never goes back:
it is a monotone function of the version. A write whose outcome is unknown (503, time-out,
lost connection, psql error) is resolved by its owner from the database before the next
write (is the history row there?). Prices: one thread writes the material, a unique price
per write.

When a write counts:
  - visible_by(w) = its 2xx answer's arrival for an API write; psql's return + 1 s for a
    direct SQL change (the contract: "seen within 1 second"). A write that failed or whose
    outcome was unknown is never required (it is allowed, below).
  - Except a direct SQL change whose psql call overlapped the stopping of PostgreSQL (the
    pg_restart fault, until pg-stop returned): its commit may have raced the server going
    down, after the services' LISTEN sessions were terminated, so that its notification
    was never sent.
    The contract serves cached reads while the database is down ("Degradation"), and
    nothing can tell the services of that change before the server is back: their resync
    then retires everything. Such a change is required from 1 s after the server is back
    (`sql_writes_racing_db_restart` in the report counts them).
  - For a read R = [start, end]: required(o) = the highest version of order o whose write
    has visible_by < R.start (the order's creation for version 0; absent when even that
    is not); possible(o) = every version from required(o) up to the highest one whose
    write attempt STARTED before R.end and is not known to have failed. The allowed
    statuses of o for R are the statuses of the possible versions; "may be absent" when
    the creation is not required.

Rules (a violation of any is a stale or wrong read; the first are "stale"):
  1. GET /orders/{n} (200): len(history) in possible(o) and the status is that version's;
     404 only if the creation is not required.
  2. Every item of a list that is one of the run's orders: status in the allowed statuses.
  3. A customer's list (the whole customer fits one page): every order whose creation is
     required and whose allowed statuses all pass the filter is in it; every item may
     exist and has an allowed status passing the filter; total in [must, may] where must
     counts the former orders and may the orders that may exist and have an allowed
     status passing the filter.
  4. A global list: total in [baseline(F) + must, baseline(F) + may] (same must/may over
     all the run's orders; baseline(F) = orders outside the run passing filter F, counted
     before the run).
  5. Dashboard: for every status s, by_status[s] in [baseline[s] + must_s, baseline[s] +
     may_s] (must_s: orders required to exist whose allowed statuses are only {s}; may_s:
     orders that may exist with s allowed); the run's work centre's in_progress in the
     same bounds for in_production.
  6. Calculation: materials / quantity is the price of the latest price write visible
     before R.start, or of a write that started before R.end and was not visible yet; its
     price_list_version is >= the one that write answered.
Every state that a snapshot of the database taken within [R.start, R.end], after every
required write, could show satisfies these rules, so legal concurrency is never flagged; a
value cached before a required write (an old status, a missing order, an old count or
price) always falls outside them — except that a total or a count is one number for many
orders: an order shown stale can be hidden by another order's write in flight at that
moment, counted in the other direction. A stale cached answer is served to many reads, and
most of them have no such write in flight. Failed requests (5xx, time-outs, connection errors) are
allowed and counted by kind; a 2xx with wrong data never is.

Faults (a cycle, repeated): Redis SIGSTOP for 2 s then SIGCONT (devenv redis-freeze /
redis-thaw); Redis SAVE, 1.5 s of writes, kill -9, restart with that snapshot
(redis-snapshot, redis-crash, redis-start-with-data: generations older than acknowledged
INCRs come back); Redis restarted empty; the LISTEN backends killed
(pg_terminate_backend); PostgreSQL restarted.

--soak: also samples every 10 s each serve process's VmRSS, open fds, and its TCP
connections to PostgreSQL and Redis (its sockets in /proc/net/tcp), plus the servers'
counts (pg_stat_activity of the services' role, psql excluded; Redis CLIENT LIST of user
shopfloor). Passes when each process's RSS after the first 5 minutes stays <= 110% of its
RSS at 5 minutes, and fds and connections at the end equal those at the start. Pools
connect lazily and a PostgreSQL restart empties them, so both are counted after the same
warm-up (20 s of load without faults, then 10 s idle): before the run, and after it once
the servers are back and 10 s have passed.

Exit status 0 when every check passed; the figures are printed as one JSON object
(--report FILE writes it too).
"""

import argparse
import array
import bisect
import collections
import gc
import http.client
import json
import os
import pickle
import random
import signal
import subprocess
import sys
import threading
import time

now = time.monotonic
PATH = ["new", "approved", "in_production", "quality_check", "ready", "shipped"]
ALL_STATUSES = PATH + ["cancelled"]
WALL_OFFSET = time.time() - time.monotonic()  # monotonic + this = UTC (to find log lines)
SQL_ALLOWANCE = 1.0  # CONTRACT.md: a direct change is seen within 1 second
INF = float("inf")


def log(msg):
    print(f"history: {msg}", flush=True)


# ---------------------------------------------------------------- environment
class Env:
    def __init__(self):
        e = os.environ
        missing = [n for n in ("SHOPFLOOR_DB_PORT", "SHOPFLOOR_DB_PASSWORD_FILE",
                               "SHOPFLOOR_ADMIN_TOKEN_FILE", "SHOPFLOOR_DEVENV") if n not in e]
        if missing:
            sys.exit(f"history: FAIL: settings missing ({', '.join(missing)}): run through "
                     "scripts/test.sh or source .run/env.sh")
        self.db = dict(host=e.get("SHOPFLOOR_DB_HOST", "127.0.0.1"), port=e["SHOPFLOOR_DB_PORT"],
                       name=e.get("SHOPFLOOR_DB_NAME", "shopfloor"),
                       user=e.get("SHOPFLOOR_DB_USER", "shopfloor"),
                       password=open(e["SHOPFLOOR_DB_PASSWORD_FILE"]).read().strip())
        self.token = open(e["SHOPFLOOR_ADMIN_TOKEN_FILE"]).read().strip()
        self.devenv = e["SHOPFLOOR_DEVENV"]
        self.redis_port = e.get("SHOPFLOOR_REDIS_PORT", e.get("SHOPFLOOR_REDIS_TLS_PORT"))
        self.redis_admin = e.get("SHOPFLOOR_TEST_REDIS_ADMIN_USER", "admin")
        pw = e.get("SHOPFLOOR_TEST_REDIS_ADMIN_PASSWORD_FILE")
        self.redis_admin_pw = open(pw).read().strip() if pw else None
        self.tls_dir = e.get("SHOPFLOOR_TEST_TLS_DIR")


class SqlError(Exception):
    pass


def psql(env, sql, timeout=8):
    """Runs SQL (one implicit transaction) as the services' role; the last result's rows."""
    d = env.db
    penv = dict(os.environ, PGPASSWORD=d["password"], PGCONNECT_TIMEOUT="3")
    try:
        r = subprocess.run(["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", "-h", d["host"],
                            "-p", str(d["port"]), "-U", d["user"], "-d", d["name"], "-c", sql],
                           capture_output=True, text=True, timeout=timeout, env=penv)
    except subprocess.TimeoutExpired as ex:
        raise SqlError("timeout") from ex
    if r.returncode != 0:
        raise SqlError(r.stderr.strip()[:300])
    return [line.split("|") for line in r.stdout.splitlines() if line]


def devenv(env, action):
    r = subprocess.run(["bash", env.devenv, action], capture_output=True, text=True, timeout=90)
    if r.returncode != 0:
        log(f"devenv {action} failed: {r.stderr.strip()[-300:]}")
    return r.returncode == 0


def redis_cli(env, *args, timeout=5):
    cmd = ["redis-cli", "--tls", "--cacert", f"{env.tls_dir}/ca.crt", "-h", "127.0.0.1", "-p",
           str(env.redis_port), "--user", env.redis_admin, "--pass", env.redis_admin_pw,
           "--no-auth-warning", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return r.stdout


# ---------------------------------------------------------------- HTTP
class Http:
    """One keep-alive connection per port, per thread."""

    def __init__(self, token, timeout):
        self.conns = {}
        self.token = token
        self.timeout = timeout

    def request(self, port, method, path, body=None):
        """(status, headers dict, parsed JSON or None); status 0 = no answer (kind in body)."""
        conn = self.conns.get(port)
        if conn is None:
            conn = self.conns[port] = http.client.HTTPConnection("127.0.0.1", port,
                                                                 timeout=self.timeout)
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            if hdrs.get("connection", "").lower() == "close":
                conn.close()
                del self.conns[port]
        except (OSError, http.client.HTTPException) as ex:
            conn.close()
            del self.conns[port]
            kind = "timeout" if "timed out" in str(ex) else "connection"
            return 0, {}, kind
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return resp.status, hdrs, parsed


# ---------------------------------------------------------------- the history
class History:
    def __init__(self):
        self.lock = threading.Lock()
        self.reads = []    # dicts: kind, t0, t1, ...
        self.writes = []   # dicts: kind, t0, t1, outcome ('ok'|'failed'|'unknown'), ...
        self.failures = collections.Counter()
        self.cache = collections.Counter()
        self.ops = 0

    def add_read(self, r):
        with self.lock:
            self.reads.append(r)
            self.ops += 1

    def add_write(self, w):
        with self.lock:
            self.writes.append(w)
            self.ops += 1

    def fail(self, kind):
        with self.lock:
            self.failures[kind] += 1
            self.ops += 1


def failure_kind(op, status, body):
    return f"{op}:{status if status else body}"


def sql_failure_kind(op, ex):
    msg = str(ex)
    for needle, kind in (("connection to server", "refused"), ("terminating", "terminated"),
                         ("timeout", "timeout"), ("server closed", "closed")):
        if needle in msg:
            return f"{op}:{kind}"
    return f"{op}:{msg[:60]}"


class Order:
    """The owner's model of one order; attempts hold the checker's facts."""

    def __init__(self, tag, customer, number=None, oid=None):
        self.tag, self.customer, self.number, self.id = tag, customer, number, oid
        self.version, self.status = 0, "new"
        self.dirty = False  # an attempt of unknown outcome awaits resolution
        self.pending = None


class Run:
    def __init__(self, args, env, ports):
        self.args, self.env = args, env
        self.rid = "%06x" % random.SystemRandom().getrandbits(24)
        self.wc, self.material, self.product = f"H{self.rid}", f"HM{self.rid}", f"HP{self.rid}"
        self.customers = [f"hist-{self.rid}-c{k}" for k in range(args.customers)]
        self.mes = ports[0::3]
        self.pricing = ports[1::3]
        self.history = History()
        self.stop = threading.Event()
        self.deadline = None
        self.tag_lock = threading.Lock()
        self.next_tag = 1
        self.per_customer = collections.Counter()
        # order creation attempts: tag -> dict(t0, visible_by, outcome, customer, number)
        self.creations = {}
        # status-chain attempts per tag: list of dict(version, status, t0, visible_by, outcome)
        self.chain = collections.defaultdict(list)
        self.orders_by_owner = collections.defaultdict(list)
        self.number_to_tag = {}
        self.prices = []  # dict(price, t0, visible_by, outcome, version)
        self.price_lock = threading.Lock()
        self.next_price = 10000  # kopecks
        self.fault_counts = collections.Counter()
        self.fault_times = []  # (fault, start, end), monotonic: a violation names those near it
        self.db_stops = []  # pg_restart: (start, pg-stop returned, pg-start returned)
        self.samples = []
        self.procs = []
        self.errors = []

    def take_tag(self, customer):
        with self.tag_lock:
            if customer is not None and self.per_customer[customer] >= self.args.per_customer:
                return None
            if customer is not None:
                self.per_customer[customer] += 1
            t = self.next_tag
            self.next_tag += 1
            return t

    # ------------------------------------------------------------ set-up
    def setup(self):
        e = self.env
        psql(e, f"INSERT INTO work_centers (code, name, hourly_rate) VALUES "
                f"('{self.wc}', 'history {self.rid}', 600.00)")
        psql(e, f"INSERT INTO materials (code, name, unit, price) VALUES "
                f"('{self.material}', 'history {self.rid}', 'kg', 100.00)")
        psql(e, f"INSERT INTO products (sku, name, category) VALUES "
                f"('{self.product}', 'history {self.rid}', 'history')")
        psql(e, f"INSERT INTO bom_lines (product_sku, line_no, material_code, quantity, scrap_pct) "
                f"VALUES ('{self.product}', 1, '{self.material}', 1, 0)")
        psql(e, f"INSERT INTO routing_operations (product_sku, seq, work_center, setup_minutes, "
                f"run_minutes_per_unit) VALUES ('{self.product}', 1, '{self.wc}', 0, 0)")
        self.prices.append(dict(price=10000, t0=-INF, visible_by=-INF, outcome="ok", version=0))
        psql(e, "INSERT INTO customers (name) VALUES " +
             ", ".join(f"('{c}')" for c in self.customers))
        values = []
        for k in range(self.args.initial_orders):
            c = self.customers[k % len(self.customers)]
            tag = self.take_tag(c)
            values.append(f"('{c}', '{self.product}', {tag}, '{self.wc}', '2099-12-31')")
        rows = psql(e, "INSERT INTO orders (customer, product_sku, quantity, work_center, "
                       "due_date) VALUES " + ", ".join(values) +
                    " RETURNING id, number, customer, quantity")
        for k, (oid, number, customer, qty) in enumerate(rows):
            tag = int(qty)
            o = Order(tag, customer, number, int(oid))
            self.creations[tag] = dict(t0=-INF, visible_by=-INF, outcome="ok", customer=customer)
            self.chain[tag].append(dict(version=0, status="new", t0=-INF, visible_by=-INF,
                                        outcome="ok"))
            self.number_to_tag[number] = tag
            self.orders_by_owner[k % self.args.threads].append(o)
        # Everything outside the run: constant during the run.
        self.baseline = {s: 0 for s in ALL_STATUSES}
        for s, n in psql(e, f"SELECT status, count(*) FROM orders WHERE customer NOT LIKE "
                            f"'hist-{self.rid}-%' GROUP BY status"):
            self.baseline[s] = int(n)
        log(f"run {self.rid}: {len(rows)} orders of {len(self.customers)} customers; "
            f"baseline {sum(self.baseline.values())} other orders")

    def start_servers(self, ports, workdir):
        for i in range(3):
            env = dict(os.environ, SHOPFLOOR_MES_PORT=str(ports[3 * i]),
                       SHOPFLOOR_PRICING_PORT=str(ports[3 * i + 1]),
                       SHOPFLOOR_SHOP_PORT=str(ports[3 * i + 2]),
                       SHOPFLOOR_THREADS=str(self.args.serve_threads))
            logf = open(os.path.join(workdir, f"serve{i}.log"), "w")
            p = subprocess.Popen([self.args.bin, "serve"], env=env, stdout=logf,
                                 stderr=subprocess.STDOUT, start_new_session=True)
            self.procs.append(p)
        deadline = now() + 60
        h = Http(self.env.token, 5)
        for i, port in enumerate(self.mes):
            while True:
                if self.procs[i].poll() is not None:
                    raise RuntimeError(f"serve {i} exited ({self.procs[i].returncode}); see "
                                       f"{workdir}/serve{i}.log")
                st, _, body = h.request(port, "GET", "/health")
                if st == 200 and body.get("db") == "up" and body.get("cache") == "up":
                    break
                if now() > deadline:
                    raise RuntimeError(f"serve {i} not healthy within 60 s: {st} {body}")
                time.sleep(0.2)
        log(f"3 serve processes up: MES {self.mes}, Pricing {self.pricing}")

    def stop_servers(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return [p.returncode for p in self.procs]

    # ------------------------------------------------------------ clients
    def client(self, idx):
        rnd = random.Random(self.args.seed * 1000 + idx)
        h = Http(self.env.token, self.args.http_timeout)
        mine = self.orders_by_owner[idx]
        while not self.stop.is_set() and now() < self.deadline:
            if self.history.ops >= self.args.max_ops:
                break
            x = rnd.random()
            if idx == 0 and x < 0.25:
                self.price_write(h, rnd)
            elif x < self.args.write_ratio:
                self.order_write(h, rnd, idx, mine)
            else:
                self.read(h, rnd)

    def resolve(self, o):
        """Learns from the database whether the pending attempt of o applied."""
        a = o.pending
        try:
            if a.get("create"):
                rows = psql(self.env, f"SELECT id, number FROM orders WHERE customer = "
                                      f"'{o.customer}' AND quantity = {o.tag}")
                applied = bool(rows)
                if applied:
                    o.id, o.number = int(rows[0][0]), rows[0][1]
                    with self.history.lock:
                        self.number_to_tag[o.number] = o.tag
            else:
                rows = psql(self.env, f"SELECT o.status, (SELECT count(*) FROM "
                                      f"order_status_history h WHERE h.order_id = o.id) FROM "
                                      f"orders o WHERE o.id = {o.id}")
                st, n = rows[0][0], int(rows[0][1])
                if n == a["version"]:
                    applied = True
                elif n == a["version"] - 1:
                    applied = False
                else:
                    raise RuntimeError(f"order {o.number}: {n} history rows, expected "
                                       f"{a['version'] - 1} or {a['version']}")
                if applied and st != a["status"]:
                    raise RuntimeError(f"order {o.number}: status {st}, expected {a['status']}")
        except SqlError:
            return False
        a["resolved"] = "applied" if applied else "not_applied"
        if applied:
            o.version, o.status = a["version"], a["status"]
        o.dirty, o.pending = False, None
        return True

    def order_write(self, h, rnd, idx, mine):
        dirty = [o for o in mine if o.dirty]
        if dirty:
            if not self.resolve(rnd.choice(dirty)):
                time.sleep(0.05)
            return
        live = [o for o in mine if o.status != "shipped" and o.number is not None]
        if len(live) < 3 or rnd.random() < 0.08:
            self.create(h, rnd, idx, mine)
            return
        if not live:
            return
        o = rnd.choice(live)
        y = rnd.random()
        if y < 0.70:
            self.status_api(h, rnd, o)
        elif y < 0.90:
            self.status_sql(o)
        else:
            self.history_sql(o)

    def record_attempt(self, o, version, status, t0, t1, outcome, sql, port=None):
        a = dict(version=version, status=status, t0=t0, t1=t1,
                 visible_by=(t1 + SQL_ALLOWANCE if sql else t1) if outcome == "ok" else INF,
                 outcome=outcome, via="sql" if sql else f"api:{port}")
        with self.history.lock:
            self.chain[o.tag].append(a)
        if outcome == "unknown":
            o.dirty, o.pending = True, a
        elif outcome == "ok":
            o.version, o.status = version, status
        return a

    def create(self, h, rnd, idx, mine):
        customer = rnd.choice(self.customers)
        tag = self.take_tag(customer)
        if tag is None:
            return
        o = Order(tag, customer)
        body = dict(customer=customer, product_sku=self.product, quantity=tag,
                    work_center=self.wc, due_date="2099-12-31", priority=rnd.randint(1, 5))
        port = rnd.choice(self.mes)
        t0 = now()
        st, _, resp = h.request(port, "POST", "/orders", body)
        t1 = now()
        if st == 201:
            outcome = "ok"
            o.number, o.id = resp["number"], None
            o.id = int(resp["number"].split("-")[1])
        elif st in (0, 500, 502, 503, 504):
            outcome = "unknown"
            self.history.fail(failure_kind("POST /orders", st, resp))
        else:
            raise RuntimeError(f"POST /orders: {st} {resp}")
        c = dict(t0=t0, visible_by=t1 if outcome == "ok" else INF, outcome=outcome,
                 customer=customer)
        a = dict(version=0, status="new", t0=t0, visible_by=c["visible_by"], outcome=outcome)
        with self.history.lock:
            self.creations[tag] = c
            self.chain[tag].append(a)
            if o.number:
                self.number_to_tag[o.number] = tag
        if outcome == "unknown":
            a["create"] = True
            o.dirty, o.pending = True, a
        if outcome == "ok":
            self.history.add_write(dict(kind="create", t0=t0, t1=t1))
        mine.append(o)

    def status_api(self, h, rnd, o):
        nxt = PATH[PATH.index(o.status) + 1]
        port = rnd.choice(self.mes)
        t0 = now()
        st, _, resp = h.request(port, "POST", f"/orders/{o.number}/status",
                                dict(status=nxt, comment="history"))
        t1 = now()
        if st == 200:
            if resp.get("status") != nxt:
                raise RuntimeError(f"status change answered {resp}")
            self.record_attempt(o, o.version + 1, nxt, t0, t1, "ok", False, port)
            self.history.add_write(dict(kind="status_api", t0=t0, t1=t1))
        elif st in (0, 500, 502, 503, 504):
            self.history.fail(failure_kind("POST /orders/{n}/status", st, resp))
            self.record_attempt(o, o.version + 1, nxt, t0, t1, "unknown", False, port)
        else:
            raise RuntimeError(f"POST /orders/{o.number}/status {nxt}: {st} {resp}")

    def sql_write(self, o, nxt, sql, kind):
        t0 = now()
        try:
            psql(self.env, sql)
            outcome = "ok"
        except SqlError as ex:
            outcome = "unknown"
            self.history.fail(sql_failure_kind(kind, ex))
        t1 = now()
        self.record_attempt(o, o.version + 1, nxt, t0, t1, outcome, True)
        if outcome == "ok":
            self.history.add_write(dict(kind=kind, t0=t0, t1=t1))

    def status_sql(self, o):
        nxt = PATH[PATH.index(o.status) + 1]
        self.sql_write(o, nxt, f"WITH o AS (UPDATE orders SET status = '{nxt}' WHERE id = {o.id} "
                               f"RETURNING id) INSERT INTO order_status_history (order_id, "
                               f"from_status, to_status, comment) SELECT id, '{o.status}', "
                               f"'{nxt}', 'direct' FROM o", "status_sql")

    def history_sql(self, o):
        self.sql_write(o, o.status, f"INSERT INTO order_status_history (order_id, from_status, "
                                    f"to_status, comment) VALUES ({o.id}, '{o.status}', "
                                    f"'{o.status}', 'direct note')", "history_sql")

    def price_write(self, h, rnd):
        with self.price_lock:
            self.next_price += rnd.randint(1, 500)
            kop = self.next_price
        price = f"{kop // 100}.{kop % 100:02d}"
        sql = rnd.random() < 0.3
        t0 = now()
        version, outcome = 0, "unknown"
        if sql:
            try:
                rows = psql(self.env, f"UPDATE materials SET price = {price} WHERE code = "
                                      f"'{self.material}'; SELECT version FROM price_list_version")
                version, outcome = int(rows[-1][0]), "ok"
            except SqlError as ex:
                self.history.fail(sql_failure_kind("price_sql", ex))
        else:
            st, _, resp = h.request(rnd.choice(self.pricing), "PUT", f"/materials/{self.material}",
                                    dict(price=price))
            if st == 200:
                version, outcome = int(resp["price_list_version"]), "ok"
                if resp.get("price") != price:
                    raise RuntimeError(f"PUT /materials answered {resp}")
            elif st in (0, 500, 502, 503, 504):
                self.history.fail(failure_kind("PUT /materials/{code}", st, resp))
            else:
                raise RuntimeError(f"PUT /materials: {st} {resp}")
        t1 = now()
        vis = (t1 + SQL_ALLOWANCE if sql else t1) if outcome == "ok" else INF
        with self.history.lock:
            self.prices.append(dict(price=kop, t0=t0, t1=t1, visible_by=vis, outcome=outcome,
                                    version=version, via="sql" if sql else "api"))
        if outcome == "ok":
            self.history.add_write(dict(kind="price_sql" if sql else "price_api", t0=t0, t1=t1))

    def read(self, h, rnd):
        x = rnd.random()
        port = rnd.choice(self.mes)
        if x < 0.35:
            with self.history.lock:
                numbers = list(self.number_to_tag)
            number = rnd.choice(numbers)
            op, method, path, body = "order", "GET", f"/orders/{number}", None
            extra = dict(number=number)
        elif x < 0.60:
            c = rnd.choice(self.customers)
            filt = None
            path = f"/orders?customer={c}&page_size=200"
            if rnd.random() < 0.5:
                filt = sorted(rnd.sample(PATH, rnd.randint(1, 2)))
                path += "&status=" + ",".join(filt)
            op, method, body = "customer_list", "GET", None
            extra = dict(customer=c, filter=filt)
        elif x < 0.72:
            filt = None
            path = "/orders?page_size=20"
            if rnd.random() < 0.6:
                filt = sorted(rnd.sample(PATH, rnd.randint(1, 2)))
                path += "&status=" + ",".join(filt)
            op, method, body = "list", "GET", None
            extra = dict(filter=filt)
        elif x < 0.86:
            op, method, path, body, extra = "dashboard", "GET", "/dashboard", None, {}
        else:
            q = rnd.randint(1, 3)
            port = rnd.choice(self.pricing)
            op, method, path = "calculation", "POST", "/calculations"
            body, extra = dict(product_sku=self.product, quantity=q), dict(quantity=q)
        t0 = now()
        st, hdrs, resp = h.request(port, method, path, body)
        t1 = now()
        if st == 200 or (op == "order" and st == 404):
            self.history.add_read(dict(kind=op, t0=t0, t1=t1, status=st, path=path, port=port,
                                       xc=hdrs.get("x-cache", "-"), **extra,
                                       **self.digest(op, resp)))
            with self.history.lock:
                self.history.cache[f"{op}:{hdrs.get('x-cache', '-')}"] += 1
        elif st in (0, 500, 502, 503, 504):
            self.history.fail(failure_kind(f"{method} {op}", st, resp))
        else:
            raise RuntimeError(f"{method} {path}: {st} {resp}")

    def digest(self, op, b):
        """What the checker needs of an answer (a long run keeps hundreds of thousands)."""
        if b is None:
            return {}
        if op == "order":
            return dict(v=len(b.get("history", [])), st=b.get("status"))
        if op in ("list", "customer_list"):
            mine = array.array("q")
            foreign = []
            prefix = f"hist-{self.rid}-"
            for item in b.get("items", []):
                if item.get("customer", "").startswith(prefix):
                    mine.append(int(item["quantity"]) * 8 + ALL_STATUSES.index(item["status"]))
                else:
                    foreign.append(item.get("number"))
            return dict(items=mine, foreign=foreign, total=b.get("total"))
        if op == "dashboard":
            ip = 0
            for w in b.get("by_work_center", []):
                if w.get("work_center") == self.wc:
                    ip = w.get("in_progress")
            return dict(by_status=b.get("by_status", {}), in_progress=ip)
        return dict(materials=b["breakdown"]["materials"], version=b.get("price_list_version", 0))

    # ------------------------------------------------------------ faults
    def faults(self):
        e = self.env
        cycle = ["redis_freeze", "redis_crash_with_data", "redis_restart_empty",
                 "listener_kill", "pg_restart"]
        k = 0
        while not self.stop.wait(self.args.fault_gap):
            if now() > self.deadline - 3:
                break
            f = cycle[k % len(cycle)]
            k += 1
            t0 = now()
            ok = True
            if f == "redis_freeze":
                ok = devenv(e, "redis-freeze")
                time.sleep(2)
                ok = devenv(e, "redis-thaw") and ok
            elif f == "redis_crash_with_data":
                ok = devenv(e, "redis-snapshot")
                time.sleep(1.5)  # acknowledged writes INCR generations the snapshot lacks
                ok = devenv(e, "redis-crash") and ok
                time.sleep(0.3)
                ok = devenv(e, "redis-start-with-data") and ok
            elif f == "redis_restart_empty":
                ok = devenv(e, "redis-stop")
                time.sleep(0.5)
                ok = devenv(e, "redis-start") and ok
            elif f == "listener_kill":
                try:
                    rows = psql(e, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE application_name LIKE '%-listener' "
                                   "AND pid <> pg_backend_pid()")
                    ok = int(rows[0][0]) >= 3
                    if not ok:
                        log(f"listener_kill: only {rows[0][0]} change-feed (-listener) backends")
                except SqlError as ex:
                    ok = False
                    log(f"listener_kill: {ex}")
            elif f == "pg_restart":
                ok = devenv(e, "pg-stop")
                stopped = now()
                time.sleep(1)
                ok = devenv(e, "pg-start") and ok
                self.db_stops.append((t0, stopped, now()))
            self.fault_times.append((f, t0, now()))
            self.fault_counts[f if ok else f + "_failed"] += 1
            log(f"fault {f}: {'done' if ok else 'FAILED'} in {now() - t0:.1f} s")

    def restore_servers(self):
        devenv(self.env, "redis-thaw")
        devenv(self.env, "start")

    # ------------------------------------------------------------ soak sampling
    def guarded(self, fn, *a):
        try:
            fn(*a)
        except Exception as ex:  # noqa: BLE001 - any harness error fails the run
            self.errors.append(repr(ex))
            self.stop.set()

    def warm_up(self):
        """20 s of load without faults, then 10 s idle: every pool holds what that load
        opened (pools connect lazily, and a PostgreSQL restart empties them)."""
        self.deadline = now() + 20
        warm = [threading.Thread(target=self.guarded, args=(self.client, i))
                for i in range(self.args.threads)]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        time.sleep(10)

    def sample(self):
        pg_port, redis_port = int(self.env.db["port"]), int(self.env.redis_port)
        remote = {}
        for f in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = open(f).read().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                p = line.split()
                if p[3] != "01":  # ESTABLISHED
                    continue
                remote[p[9]] = int(p[2].rsplit(":", 1)[1], 16)
        s = dict(t=now(), procs=[])
        for p in self.procs:
            rss = None
            try:
                for line in open(f"/proc/{p.pid}/status"):
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
                fds = os.listdir(f"/proc/{p.pid}/fd")
            except OSError:
                s["procs"].append(None)
                continue
            pg = rd = 0
            for fd in fds:
                try:
                    link = os.readlink(f"/proc/{p.pid}/fd/{fd}")
                except OSError:
                    continue
                if link.startswith("socket:["):
                    port = remote.get(link[8:-1])
                    pg += port == pg_port
                    rd += port == redis_port
            s["procs"].append(dict(rss_kb=rss, fds=len(fds), pg_conns=pg, redis_conns=rd))
        try:
            s["pg_backends"] = int(psql(self.env, "SELECT count(*) FROM pg_stat_activity WHERE "
                                                  "usename = current_user AND application_name "
                                                  "NOT LIKE 'psql%'")[0][0])
        except SqlError:
            s["pg_backends"] = None
        try:
            out = redis_cli(self.env, "CLIENT", "LIST")
            s["redis_clients"] = sum(1 for line in out.splitlines() if " user=shopfloor " in line)
        except Exception:  # noqa: BLE001 - a frozen or restarting Redis: no figure
            s["redis_clients"] = None
        return s

    def sampler(self, t_start):
        while not self.stop.wait(10):
            s = self.sample()
            s["t"] -= t_start
            self.samples.append(s)


# ---------------------------------------------------------------- the checker
def excluded(a):
    return a["outcome"] == "failed" or a.get("resolved") == "not_applied"


def allow_for_db_restarts(run):
    """The exception of the header's "When a write counts": direct SQL changes whose psql
    call overlapped the stopping of the server (from the fault's start until pg-stop
    returned) are required from the server's return + 1 s. Returns how many it moved."""
    moved = 0
    writes = [a for chain in run.chain.values() for a in chain] + list(run.prices)
    for w in writes:
        if w.get("via") != "sql" or w["visible_by"] == INF:
            continue
        for start, stopped, back in run.db_stops:
            if (w["t0"] < stopped and w.get("t1", w["t0"]) > start
                    and w["visible_by"] < back + SQL_ALLOWANCE):
                w["visible_by"] = back + SQL_ALLOWANCE
                moved += 1
    return moved


class Checker:
    """Checks every read against the rules of the header.

    A sweep over the reads in start order keeps every order's required version (the
    highest one visible before the read's start) and the number of orders per required
    status, overall and per customer. Only the orders with a write attempt that started
    before the read's end and was not visible at its start ("affected") get their whole
    window computed; for the others the window is their required state alone."""

    def __init__(self, run):
        self.run = run
        self.violations = []
        self.stale = set()  # the reads with at least one violation
        self.by_rule = collections.Counter()
        self.checked = collections.Counter()
        self.chain = run.chain
        self.creations = run.creations
        att = [(a["t0"], tag, a) for tag, lst in run.chain.items() for a in lst
               if not excluded(a)]
        att.sort(key=lambda x: x[0])
        self.attempts = att
        self.att_t0 = [x[0] for x in att]
        vis = [(a["visible_by"], tag, a) for tag, lst in run.chain.items() for a in lst
               if a["visible_by"] < INF]
        vis.sort(key=lambda x: x[0])
        self.vis = vis
        self.req = {}  # tag -> (version, status)
        self.req_count = collections.Counter()
        self.req_cust = collections.defaultdict(dict)  # customer -> {tag: status}
        self.active = {}  # id(attempt) -> (tag, attempt): started, not visible yet
        self.ai = self.vi = 0
        self.affected = {}
        self.price_t0 = [p["t0"] for p in run.prices]  # increasing: one writer

    def bad(self, rule, read, msg):
        self.stale.add(id(read))
        self.by_rule[rule] += 1
        near = [f"{f} {a - read['t0']:+.2f}..{b - read['t0']:+.2f} s"
                for f, a, b in self.run.fault_times if a < read["t1"] and b > read["t0"] - 5]
        wall = time.strftime("%H:%M:%S", time.gmtime(read["t0"] + WALL_OFFSET))
        wall += f".{int((read['t0'] + WALL_OFFSET) % 1 * 1000):03d}Z"
        self.violations.append(dict(rule=rule, read=read["path"], port=read["port"],
                                    t0=round(read["t0"], 4), t1=round(read["t1"], 4),
                                    utc=wall, x_cache=read.get("xc"), faults_near=near,
                                    msg=msg))

    def required_write(self, tag, version, read):
        """The write that made `version` of order `tag` required, as seen from `read`."""
        for a in self.chain.get(tag, []):
            if a["version"] == version:
                return (f"{a.get('via', '?')} to {a['status']}: sent {a['t0'] - read['t0']:+.2f} s, "
                        f"answered {a.get('t1', a['t0']) - read['t0']:+.2f} s")
        return "?"

    def order_window(self, tag, r):
        """(exists_required, may_exist, required_version, allowed {version: statuses})."""
        s, e = r["t0"], r["t1"]
        attempts = self.chain[tag]
        req = None
        for a in attempts:
            if a["visible_by"] < s and (req is None or a["version"] > req):
                req = a["version"]
        allowed = collections.defaultdict(set)
        for a in attempts:
            if a["t0"] >= e or excluded(a):
                continue
            if req is not None and a["version"] < req:
                continue
            allowed[a["version"]].add(a["status"])
        return req is not None, bool(allowed), req, allowed

    def advance(self, r):
        """Moves the sweep to read r; sets self.affected = {tag: its window}."""
        s, e = r["t0"], r["t1"]
        while self.ai < len(self.attempts) and self.attempts[self.ai][0] < s:
            _, tag, a = self.attempts[self.ai]
            self.active[id(a)] = (tag, a)
            self.ai += 1
        while self.vi < len(self.vis) and self.vis[self.vi][0] < s:
            _, tag, a = self.vis[self.vi]
            self.vi += 1
            self.active.pop(id(a), None)
            old = self.req.get(tag)
            if old is None or a["version"] > old[0]:
                customer = self.creations[tag]["customer"]
                if old is not None:
                    self.req_count[old[1]] -= 1
                self.req[tag] = (a["version"], a["status"])
                self.req_count[a["status"]] += 1
                self.req_cust[customer][tag] = a["status"]
        tags = set()
        for key, (tag, a) in list(self.active.items()):
            old = self.req.get(tag)
            if old is not None and a["version"] <= old[0]:
                del self.active[key]  # superseded by a visible later version
            else:
                tags.add(tag)
        k = self.ai
        while k < len(self.attempts) and self.attempts[k][0] < e:
            tags.add(self.attempts[k][1])
            k += 1
        self.affected = {t: self.order_window(t, r) for t in tags}

    def window(self, tag):
        """(must_exist, may_exist, allowed statuses, required version) for the current read."""
        w = self.affected.get(tag)
        if w is not None:
            statuses = set()
            for v in w[3].values():
                statuses |= v
            return w[0], w[1], statuses, w[2]
        req = self.req.get(tag)
        if req is None:
            return False, False, set(), None
        return True, True, {req[1]}, req[0]

    def bounds(self, customer=None):
        """(lo, hi) Counters per status over the run's orders (of one customer)."""
        if customer is None:
            lo = collections.Counter(self.req_count)
        else:
            lo = collections.Counter(self.req_cust[customer].values())
        hi = collections.Counter(lo)
        for tag in self.affected:
            if customer is not None and self.creations[tag]["customer"] != customer:
                continue
            req = self.req.get(tag)
            if req is not None:
                lo[req[1]] -= 1
                hi[req[1]] -= 1
            must, may, st, _ = self.window(tag)
            if must and len(st) == 1:
                lo[next(iter(st))] += 1
            if may:
                for x in st:
                    hi[x] += 1
        return lo, hi

    def filtered_bounds(self, filt, customer=None):
        """(must, may): orders required in / possibly in a list filtered by filt."""
        lo, hi = self.bounds(customer)
        fs = ALL_STATUSES if filt is None else filt
        must = sum(lo[x] for x in fs)
        may = sum(hi[x] for x in fs)
        # An affected order whose allowed statuses all pass counts once in must; bounds()
        # counted only single-status ones: add the multi-status ones here.
        for tag in self.affected:
            if customer is not None and self.creations[tag]["customer"] != customer:
                continue
            m, _, st, _ = self.window(tag)
            if m and len(st) > 1 and st <= set(fs):
                must += 1
            if len(st) > 1:  # hi counted it once per passing status
                may -= max(0, len(st & set(fs)) - 1)
        return must, may

    def check_order(self, r):
        tag = self.run.number_to_tag.get(r["number"])
        must, _, req, allowed = self.order_window(tag, r)
        if r["status"] == 404:
            if must:
                self.bad(1, r, "404 but the order's creation was acknowledged before")
            return
        v = r["v"]
        if v not in allowed:
            self.bad(1, r, f"version {v} (status {r['st']}), required {req} "
                           f"({self.required_write(tag, req, r)}), possible {sorted(allowed)}")
        elif r["st"] not in allowed[v]:
            self.bad(1, r, f"version {v} with status {r['st']}, expected {allowed[v]}")

    def check_items(self, r, filt, customer=None):
        seen = set()
        if customer is not None and r["foreign"]:
            self.bad(3, r, f"items of other customers: {r['foreign'][:5]}")
        for code in r["items"]:
            tag, status = code // 8, ALL_STATUSES[code % 8]
            seen.add(tag)
            if tag not in self.chain:
                self.bad(2, r, f"item tag {tag}: no such creation attempt")
                continue
            _, _, st, req = self.window(tag)
            if status not in st:
                self.bad(2, r, f"order tag {tag} status {status}, allowed {sorted(st)} "
                               f"(required version {req}: {self.required_write(tag, req, r)})")
            if filt is not None and status not in filt:
                self.bad(2, r, f"order tag {tag} status {status} not in {filt}")
        return seen

    def check_customer_list(self, r):
        filt, customer = r["filter"], r["customer"]
        seen = self.check_items(r, filt, customer)
        fs = set(ALL_STATUSES if filt is None else filt)
        candidates = set(self.req_cust[customer]) | {
            t for t in self.affected if self.creations[t]["customer"] == customer}
        for tag in candidates:
            must, _, st, req = self.window(tag)
            if must and st <= fs and tag not in seen:
                self.bad(3, r, f"order tag {tag} (required version {req}, statuses {sorted(st)}) "
                               "missing")
        lo, hi = self.filtered_bounds(filt, customer)
        total = r["total"]
        if not lo <= total <= hi:
            self.bad(3, r, f"total {total} not in [{lo}, {hi}]")

    def check_list(self, r):
        filt = r["filter"]
        self.check_items(r, filt)
        base = sum(n for x, n in self.run.baseline.items() if filt is None or x in filt)
        lo, hi = self.filtered_bounds(filt)
        total = r["total"]
        if not base + lo <= total <= base + hi:
            self.bad(4, r, f"total {total} not in [{base + lo}, {base + hi}]")

    def check_dashboard(self, r):
        by = r["by_status"]
        lo, hi = self.bounds()
        for x in ALL_STATUSES:
            b = self.run.baseline[x]
            if not b + lo[x] <= by.get(x, -1) <= b + hi[x]:
                self.bad(5, r, f"by_status.{x} = {by.get(x)} not in [{b + lo[x]}, {b + hi[x]}]")
        ip = r["in_progress"]
        if not lo["in_production"] <= ip <= hi["in_production"]:
            self.bad(5, r, f"{self.run.wc} in_progress {ip} not in [{lo['in_production']}, "
                           f"{hi['in_production']}]")

    def check_calculation(self, r):
        # One writer: price writes are sequential, so every write before the required one
        # is superseded by it, and only the later ones can be in flight.
        s, e = r["t0"], r["t1"]
        q = r["quantity"]
        kop = round(float(r["materials"]) * 100)
        prices = self.run.prices
        i = bisect.bisect_left(self.price_t0, s) - 1
        while prices[i]["visible_by"] >= s:
            i -= 1
        req = prices[i]
        end = bisect.bisect_left(self.price_t0, e)
        allowed = {req["price"]} | {p["price"] for p in prices[i + 1:end] if not excluded(p)}
        if kop % q or kop // q not in allowed:
            self.bad(6, r, f"materials {r['materials']} for quantity {q}: price "
                           f"{kop / q / 100:.2f}, required {req['price'] / 100:.2f}, allowed "
                           f"{sorted(x / 100 for x in allowed)}")
        if r["version"] < req["version"]:
            self.bad(6, r, f"price_list_version {r['version']} < {req['version']}")

    def check(self):
        for r in sorted(self.run.history.reads, key=lambda r: r["t0"]):
            if r["kind"] in ("customer_list", "list", "dashboard"):
                self.advance(r)
            getattr(self, "check_" + r["kind"])(r)
            self.checked[r["kind"]] += 1
        return self.violations


# ---------------------------------------------------------------- main
def scan_logs(workdir):
    """The serve logs' 5xx answers other than 503, and their error lines (first 20)."""
    out = []
    for i in range(3):
        try:
            f = open(os.path.join(workdir, f"serve{i}.log"), errors="replace")
        except OSError:
            continue
        with f:
            for line in f:
                if (" status=5" in line and " status=503 " not in line) or " error " in line:
                    if len(out) < 20:
                        out.append(f"serve{i}: {line.strip()[:400]}")
    return out


def soak_verdict(samples, start_t, settle_sample):
    out = dict(ok=True, problems=[])
    if not samples:
        out.update(ok=False, problems=["no samples"])
        return out
    at5 = next((s for s in samples if s["t"] >= start_t + 300), None)
    base = samples[0]
    for i in range(len(base["procs"])):
        if at5 is not None and at5["procs"][i]:
            later = [s["procs"][i]["rss_kb"] for s in samples
                     if s["t"] >= at5["t"] and s["procs"][i]]
            ref = at5["procs"][i]["rss_kb"]
            growth = max(later) / ref - 1
            out[f"serve{i}_rss_kb"] = dict(at_5min=ref, max_after=max(later),
                                           last=later[-1], growth_pct=round(100 * growth, 1))
            if growth > 0.10:
                out["ok"] = False
                out["problems"].append(f"serve{i}: RSS grew {100 * growth:.1f}% after 5 min")
        for key in ("fds", "pg_conns", "redis_conns"):
            a, z = base["procs"][i][key], settle_sample["procs"][i][key]
            out[f"serve{i}_{key}"] = [a, z]
            if a != z:
                out["ok"] = False
                out["problems"].append(f"serve{i}: {key} {a} at the start, {z} at the end")
    for key in ("pg_backends", "redis_clients"):
        a, z = base.get(key), settle_sample.get(key)
        out[key] = [a, z]
        if a != z:
            out["ok"] = False
            out["problems"].append(f"{key}: {a} at the start, {z} at the end")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--ports", required=True, help="9 comma-separated HTTP ports")
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--max-ops", type=int, default=2_000_000)
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--serve-threads", type=int, default=1)
    ap.add_argument("--customers", type=int, default=24)
    ap.add_argument("--per-customer", type=int, default=150)
    ap.add_argument("--initial-orders", type=int, default=240)
    ap.add_argument("--write-ratio", type=float, default=0.2)
    ap.add_argument("--fault-gap", type=float, default=5.0)
    ap.add_argument("--no-faults", action="store_true")
    ap.add_argument("--http-timeout", type=float, default=10)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--soak", action="store_true")
    ap.add_argument("--workdir", default="/tmp")
    ap.add_argument("--report")
    ap.add_argument("--save-history", help="pickle the recorded history to this file")
    ap.add_argument("--min-ops", type=int, default=0, help="fail below this many operations")
    args = ap.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    if len(ports) != 9:
        sys.exit("history: FAIL: --ports needs 9 ports")
    env = Env()
    run = Run(args, env, ports)
    log(f"seed {args.seed}, {args.threads} threads, {args.duration:.0f} s"
        f"{', soak' if args.soak else ''}")
    rc = 1
    report = {}
    try:
        run.setup()
        run.start_servers(ports, args.workdir)
        soak_start = None
        if args.soak:
            # Warm-up: every pool and connection opened, then idle, then the first sample.
            run.warm_up()
            soak_start = now()
            s = run.sample()
            s["t"] -= soak_start
            run.samples.append(s)
        t_start = now()
        run.deadline = t_start + args.duration
        errors = run.errors

        jobs = [(run.client, i) for i in range(args.threads)]
        if not args.no_faults:
            jobs.append((run.faults,))
        if args.soak:
            jobs.append((run.sampler, soak_start))
        threads = [threading.Thread(target=run.guarded, args=j, daemon=True) for j in jobs]
        for t in threads:
            t.start()
        for t in threads[:-1] if args.soak else threads:
            t.join(timeout=max(1, run.deadline - now() + 120))
        run.stop.set()
        elapsed = now() - t_start
        settle = None
        if args.soak:
            threads[-1].join()
            run.restore_servers()
            time.sleep(10)  # reconnects, breaker probes, listener resync
            run.stop.clear()
            run.warm_up()  # the same as before the first sample: pools refilled, then idle
            settle = run.sample()
            settle["t"] -= soak_start
        rcs = run.stop_servers()
        run.restore_servers()
        server_errors = scan_logs(args.workdir)
        if args.save_history:
            with open(args.save_history, "wb") as f:
                pickle.dump(dict(rid=run.rid, wc=run.wc, chain=dict(run.chain),
                                 creations=run.creations, number_to_tag=run.number_to_tag,
                                 prices=run.prices, baseline=run.baseline,
                                 reads=run.history.reads), f)
        racing = allow_for_db_restarts(run)
        t_check = now()
        gc.freeze()  # the history is millions of objects: keep the collector off them
        checker = Checker(run)
        violations = checker.check()
        log(f"checked {len(run.history.reads)} reads in {now() - t_check:.1f} s")
        h = run.history
        report = dict(
            run=run.rid, seed=args.seed, duration_s=round(elapsed, 1), operations=h.ops,
            reads_checked=sum(checker.checked.values()), reads_by_kind=dict(checker.checked),
            writes_acknowledged=len(h.writes),
            writes_by_kind=dict(collections.Counter(w["kind"] for w in h.writes)),
            failed_requests=sum(h.failures.values()), failed_by_kind=dict(h.failures),
            x_cache=dict(h.cache), faults=dict(run.fault_counts),
            server_errors=server_errors, stale_reads=len(checker.stale),
            sql_writes_racing_db_restart=racing,
            violations_by_rule=dict(checker.by_rule),
            violations=violations[:50], harness_errors=errors,
            serve_exit_codes=rcs)
        if args.soak:
            report["soak"] = soak_verdict(run.samples, 0, settle)
            report["soak_samples"] = run.samples
        ok = not violations and not errors and h.ops >= args.min_ops and all(
            c == 0 for c in rcs)
        hits = sum(n for k, n in h.cache.items() if k.endswith(":HIT"))
        if hits == 0:
            errors.append("no cache hit at all: the run proves nothing")
            ok = False
        if not args.no_faults and not all(run.fault_counts.get(f) for f in (
                "redis_freeze", "redis_crash_with_data", "redis_restart_empty", "listener_kill",
                "pg_restart")):
            errors.append(f"not every fault was injected: {dict(run.fault_counts)}")
            ok = False
        if args.soak and not report["soak"]["ok"]:
            ok = False
        rc = 0 if ok else 1
    except Exception as ex:  # noqa: BLE001
        log(f"FAIL: {ex!r}")
        run.stop.set()
        run.stop_servers()
        run.restore_servers()
        raise
    text = json.dumps({k: v for k, v in report.items() if k != "soak_samples"}, indent=1)
    print(text)
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1)
    log("PASSED" if rc == 0 else "FAILED")
    return rc


if __name__ == "__main__":
    sys.exit(main())
