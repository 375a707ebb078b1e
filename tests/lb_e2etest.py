"""Three `shopfloor serve` instances behind nginx (scripts/lb.sh) on one PostgreSQL and
one Redis: a write acknowledged by one instance is seen at once by the others, each of
which had the old answer cached — an order, a customer's list, a status-filtered list,
the dashboard, a cost calculation after a material price change, and a revoked token.
Then the same through nginx's round robin.

The instances' caches are shared (one Redis) but each has its own in-process state
(generation hints, single flights, token cache entries), so this is the contract's
"any client, any instance" promise end to end. The race between a writer on one instance
and readers on the others is the history checker's (tests/history/).

Run by CTest (label e2e) with /usr/bin/python3; needs the devenv servers (.run/env.sh)
and SHOPFLOOR_BIN. Bounded: every request has a 5 s deadline, lb.sh waits 30 s at most.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import unittest
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LB = os.path.join(ROOT, "scripts", "lb.sh")


def free_base(start=58100, span=40, tries=40):
    """A base port with `span` free ports after it (the front and three instances)."""
    for base in range(start, start + 100 * tries, 100):
        try:
            for p in range(base, base + span):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
    raise RuntimeError("no free port range for the load balancer")


def env_file():
    run = os.environ.get("SHOPFLOOR_RUN_DIR") or os.path.join(ROOT, ".run")
    values = {}
    with open(os.path.join(run, "env.sh")) as f:
        for line in f:
            line = line.strip()
            if line.startswith("export ") and "=" in line:
                k, v = line[len("export "):].split("=", 1)
                values[k] = v.strip("'\"")
    return values


def psql(sql):
    """One statement as the service's role (another system writing directly)."""
    e = env_file()
    env = dict(os.environ, PGPASSWORD=open(e["SHOPFLOOR_DB_PASSWORD_FILE"]).read().strip())
    return subprocess.run(
        ["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-h", e["SHOPFLOOR_DB_HOST"],
         "-p", e["SHOPFLOOR_DB_PORT"], "-U", e["SHOPFLOOR_DB_USER"], "-d", e["SHOPFLOOR_DB_NAME"],
         "-c", sql], env=env, check=True, capture_output=True, text=True, timeout=30).stdout


class Api:
    def __init__(self, port, token):
        self.port, self.token = port, token

    def call(self, method, path, body=None, token=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        headers = {"Authorization": "Bearer " + (token or self.token)}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        parsed = json.loads(raw) if raw else None
        return r.status, parsed, r.getheader("X-Cache")


class BehindTheLoadBalancer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Reference data of its own: a work centre, a material and a product made of it.
        tag = uuid.uuid4().hex[:8]
        cls.centre, cls.material, cls.sku = f"WC-lb-{tag}", f"M-lb-{tag}", f"P-lb-{tag}"
        psql(f"INSERT INTO work_centers (code, name, hourly_rate) VALUES "
             f"('{cls.centre}', 'LB test', 1200);"
             f"INSERT INTO materials (code, name, unit, price) VALUES "
             f"('{cls.material}', 'LB steel', 'kg', 100);"
             f"INSERT INTO products (sku, name, category) VALUES "
             f"('{cls.sku}', 'LB bracket', 'lb-test');"
             f"INSERT INTO bom_lines (product_sku, line_no, material_code, quantity) VALUES "
             f"('{cls.sku}', 1, '{cls.material}', 2);"
             f"INSERT INTO routing_operations (product_sku, seq, work_center, run_minutes_per_unit)"
             f" VALUES ('{cls.sku}', 1, '{cls.centre}', 3)")
        cls.env = dict(os.environ)
        cls.env["SHOPFLOOR_LB_PORT"] = str(free_base())
        cls.env.setdefault("SHOPFLOOR_LOG_LEVEL", "warn")
        subprocess.run(["bash", LB, "start", "3"], env=cls.env, check=True, timeout=60)
        ports = subprocess.run(["bash", LB, "ports"], env=cls.env, check=True,
                               capture_output=True, text=True).stdout.split("\n")
        rows = [line.split() for line in ports if line]
        token = open(env_file()["SHOPFLOOR_ADMIN_TOKEN_FILE"]).read().strip()
        front = next(r for r in rows if r[0] == "front")
        cls.front_mes, cls.front_pricing = Api(int(front[1]), token), Api(int(front[2]), token)
        inst = [r for r in rows if r[0] == "instance"]
        cls.mes = [Api(int(r[2]), token) for r in inst]
        cls.pricing = [Api(int(r[3]), token) for r in inst]
        # Ready (database up, migrations current) comes before the cache is used: each
        # instance reads it once its change feed has resynced and vouched for it.
        deadline = time.monotonic() + 15
        for api in cls.mes:
            while api.call("GET", "/health")[1].get("cache") != "up":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the cache of :{api.port} is not up within 15 s")
                time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["bash", LB, "stop"], env=cls.env, timeout=60)

    def cached_twice(self, api, path):
        """Reads twice; the second answer must come from the cache (a HIT)."""
        api.call("GET", path)
        status, body, x = api.call("GET", path)
        self.assertEqual(status, 200, path)
        self.assertEqual(x, "HIT", f"{path} on :{api.port} was not cached")
        return body

    def new_order(self, api, customer):
        status, order, _ = api.call("POST", "/orders", {
            "customer": customer, "product_sku": self.sku, "quantity": 3,
            "work_center": self.centre, "due_date": "2030-01-01"})
        self.assertEqual(status, 201, order)
        return order

    def test_order_list_and_dashboard_writes_are_seen_by_every_other_instance(self):
        a, others = self.mes[0], self.mes[1:]
        customer = "LB " + uuid.uuid4().hex[:10]
        number = self.new_order(a, customer)["number"]
        mine = "/orders?customer=" + customer.replace(" ", "%20")
        views = [mine, "/orders/" + number, "/orders?status=new&sort=-number", "/dashboard"]
        before = {}
        for api in others:
            for v in views:
                before[(api.port, v)] = self.cached_twice(api, v)

        status, changed, _ = a.call("POST", f"/orders/{number}/status", {"status": "approved"})
        self.assertEqual(status, 200, changed)
        for api in others:  # immediately, no settling: the write has answered
            _, order, _ = api.call("GET", "/orders/" + number)
            self.assertEqual(order["status"], "approved", f"order on :{api.port}")
            _, listed, _ = api.call("GET", mine)
            self.assertEqual([o["status"] for o in listed["items"]], ["approved"])
            _, new_ones, _ = api.call("GET", "/orders?status=new&sort=-number")
            self.assertNotIn(number, [o["number"] for o in new_ones["items"]])
            _, dash, _ = api.call("GET", "/dashboard")
            old = before[(api.port, "/dashboard")]["by_status"]
            # Nothing else writes while CTest runs this test (integration tests run -j1).
            self.assertEqual(dash["by_status"]["new"], old["new"] - 1, f":{api.port}")
            self.assertEqual(dash["by_status"]["approved"], old["approved"] + 1, f":{api.port}")

        second = self.new_order(a, customer)["number"]
        for api in others:
            _, listed, _ = api.call("GET", mine)
            self.assertEqual(listed["total"], 2, f"new order not listed on :{api.port}")
            self.assertIn(second, [o["number"] for o in listed["items"]])

    def test_a_price_change_reaches_every_instances_cached_calculation(self):
        request = {"product_sku": self.sku, "quantity": 7}
        before = {}
        for api in self.pricing[1:]:
            api.call("POST", "/calculations", request)
            status, calc, x = api.call("POST", "/calculations", request)
            self.assertEqual((status, x), (200, "HIT"), calc)
            before[api.port] = calc
        status, put, _ = self.pricing[0].call("PUT", "/materials/" + self.material,
                                              {"price": "150.00"})
        self.assertEqual(status, 200, put)
        for api in self.pricing[1:]:  # at once: the write has answered
            _, calc, _ = api.call("POST", "/calculations", request)
            self.assertGreaterEqual(calc["price_list_version"], put["price_list_version"])
            self.assertNotEqual(calc["unit_cost"], before[api.port]["unit_cost"], f":{api.port}")

    def test_a_token_revoked_on_one_instance_is_refused_by_the_others_at_once(self):
        name = "lb-" + uuid.uuid4().hex[:12]
        status, created, _ = self.mes[0].call("POST", "/tokens", {"name": name, "role": "operator"})
        self.assertEqual(status, 201, created)
        secret = created["token"]
        for api in self.mes[1:]:
            for _ in range(2):  # the second lookup of the token comes from its cache
                status, _, _ = api.call("GET", "/dashboard", token=secret)
                self.assertEqual(status, 200)
        status, _, _ = self.mes[0].call("DELETE", "/tokens/" + name)
        self.assertIn(status, (200, 204))
        for api in self.mes[1:]:
            status, body, _ = api.call("GET", "/dashboard", token=secret)
            self.assertEqual(status, 401, f"revoked token accepted on :{api.port}: {body}")

    def test_through_nginx_round_robin_every_read_after_a_write_sees_it(self):
        customer = "LB rr " + uuid.uuid4().hex[:8]
        number = self.new_order(self.front_mes, customer)["number"]
        path = "/orders/" + number
        for _ in range(6):  # warm every instance's view through the balancer
            self.front_mes.call("GET", path)
        for target in ["approved", "in_production", "quality_check"]:
            status, _, _ = self.front_mes.call("POST", f"/orders/{number}/status",
                                               {"status": target})
            self.assertEqual(status, 200)
            for _ in range(6):  # two rounds over the three instances
                status, order, _ = self.front_mes.call("GET", path)
                self.assertEqual((status, order["status"]), (200, target))


if __name__ == "__main__":
    sys.exit(unittest.main(verbosity=2))
