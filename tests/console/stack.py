"""The real stack for the console tests: `shopfloor serve` (SHOPFLOOR_BIN) on its own
HTTP ports against the PostgreSQL and Redis of scripts/devenv.sh (the environment of
.run/env.sh), plus small API and SQL helpers. Standard library only."""
import http.client
import json
import os
import signal
import socket
import subprocess
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def read_secret(env_name):
    with open(os.environ[env_name]) as f:
        return f.read().strip()


def psql(sql):
    """Runs SQL as another system would (not through the service)."""
    env = dict(os.environ, PGPASSWORD=read_secret('SHOPFLOOR_DB_PASSWORD_FILE'))
    out = subprocess.run(
        ['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', os.environ['SHOPFLOOR_DB_HOST'],
         '-p', os.environ['SHOPFLOOR_DB_PORT'], '-U', os.environ['SHOPFLOOR_DB_USER'],
         '-d', os.environ['SHOPFLOOR_DB_NAME'], '-c', sql],
        env=env, check=True, capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())


class Stack:
    """One `shopfloor serve` process. Ports: SHOPFLOOR_CONSOLE_TEST_PORT (and the next
    two) when set, else free ones."""

    def __init__(self):
        self.bin = os.environ.get('SHOPFLOOR_BIN')
        if not self.bin:
            raise RuntimeError('SHOPFLOOR_BIN is not set (run through scripts/test.sh)')
        base = os.environ.get('SHOPFLOOR_CONSOLE_TEST_PORT')
        self.ports = [int(base) + i for i in range(3)] if base else [free_port() for _ in range(3)]
        self.port = self.ports[0]
        self.admin = read_secret('SHOPFLOOR_ADMIN_TOKEN_FILE')
        self.proc = None
        self.log_path = os.path.join(os.environ.get('TMPDIR', '/tmp'), f'console-test-{self.port}.log')

    @property
    def base_url(self):
        return f'http://127.0.0.1:{self.port}'

    def start(self, timeout=40):
        # shopfloor binds with SO_REUSEPORT: another process on these ports would share them
        # silently, so make sure they are free first.
        for p in self.ports:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
                try:
                    probe.bind(('127.0.0.1', p))
                except OSError as e:
                    raise RuntimeError(f'port {p} is in use ({e})') from e
        env = dict(os.environ,
                   SHOPFLOOR_MES_PORT=str(self.ports[0]), SHOPFLOOR_PRICING_PORT=str(self.ports[1]),
                   SHOPFLOOR_SHOP_PORT=str(self.ports[2]), SHOPFLOOR_SHUTDOWN_DRAIN_MS='3000',
                   SHOPFLOOR_WEB_DIR=os.environ.get('SHOPFLOOR_WEB_DIR', os.path.join(ROOT, 'web')),
                   SHOPFLOOR_LOG_LEVEL='warn')
        self.log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen([self.bin, 'serve'], env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError(f'shopfloor serve exited with {self.proc.returncode}; see {self.log_path}')
            try:
                h = self.request('GET', '/health')
                if h.status == 200 and '"db":"up"' in h.body and '"cache":"up"' in h.body:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop(signal.SIGKILL)  # never leave a half-started server behind
        raise RuntimeError('the service did not report db and cache up in time')

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the process; returns (exit code, seconds it took)."""
        if not self.proc:
            return None, 0
        began = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.log.close()
        return rc, time.monotonic() - began

    def request(self, method, path, body=None, token=None, headers=None, timeout=10):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)
        h = dict(headers or {})
        if token:
            h['Authorization'] = f'Bearer {token}'
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h['Content-Type'] = 'application/json'
        conn.request(method, path, body=data, headers=h)
        res = conn.getresponse()
        raw = res.read()
        conn.close()
        hdrs = {k.lower(): v for k, v in res.getheaders()}
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            text = ''
        ans = Answer(res.status, hdrs, text)
        ans.raw = raw
        return ans

    def api(self, method, path, body=None, token=None, expect=None):
        a = self.request(method, path, body, token or self.admin)
        if expect is not None and a.status != expect:
            raise AssertionError(f'{method} {path}: {a.status} {a.body}')
        return a

    def token(self, name, role='operator'):
        a = self.api('POST', '/tokens', {'name': name, 'role': role}, expect=201)
        return a.json()['token']

    def orders(self, **query):
        q = urllib.parse.urlencode({k: v for k, v in query.items() if v not in (None, '')})
        return self.api('GET', f'/orders?{q}', expect=200).json()


class EventReader:
    """A raw GET /events connection: reads frames as the server sends them."""

    def __init__(self, port, token, last_event_id=None, timeout=10, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(('127.0.0.1', port))
        extra = f'Last-Event-ID: {last_event_id}\r\n' if last_event_id else ''
        self.sock.sendall((f'GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n'
                           f'Accept: text/event-stream\r\n{extra}\r\n').encode())
        self.buf = b''
        self.pos = 0
        head = self._until(b'\r\n\r\n')
        lines = head.decode().split('\r\n')
        self.status = int(lines[0].split()[1])
        self.headers = {l.split(':', 1)[0].lower(): l.split(':', 1)[1].strip() for l in lines[1:] if ':' in l}

    def _until(self, sep):
        # A read offset into the buffer, compacted now and then: bursts of thousands of
        # frames stay linear.
        start = getattr(self, 'pos', 0)
        while True:
            at = self.buf.find(sep, start)
            if at >= 0:
                break
            start = max(start, len(self.buf) - len(sep))
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError('stream closed')
            if self.pos_base():
                start -= self.compact()
            self.buf += chunk
        out = self.buf[self.pos:at]
        self.pos = at + len(sep)
        return out

    def pos_base(self):
        return getattr(self, 'pos', 0) > (1 << 16)

    def compact(self):
        n = self.pos
        self.buf = self.buf[n:]
        self.pos = 0
        return n

    def frame(self):
        """The next event as a dict {id, event, data}; comments are skipped."""
        while True:
            raw = self._until(b'\n\n').decode()
            ev = {'id': None, 'event': 'message', 'data': []}
            for line in raw.split('\n'):
                if line.startswith(':') or not line:
                    continue
                field, _, value = line.partition(':')
                value = value[1:] if value.startswith(' ') else value
                if field == 'data':
                    ev['data'].append(value)
                elif field in ('id', 'event'):
                    ev[field] = value
            if ev['data']:
                ev['data'] = json.loads('\n'.join(ev['data']))
                return ev

    def close(self):
        self.sock.close()
