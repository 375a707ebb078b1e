// Live updates: GET /events (Server-Sent Events) read with fetch() and a small SSE parser.
//
// Why not EventSource: it cannot send the Authorization header, and the alternatives
// (the token in the URL, or a cookie) would leak the secret into logs and history or
// let any page of this origin open the stream. fetch() sends the bearer token like every
// other API call, and sends Last-Event-ID itself when it reconnects: the server replays
// what was missed, or answers `reset` (too much was missed, or the server restarted) and
// the screen reloads in full.
//
// States reported to onState: 'connecting', 'live' (the server's `ready` arrived), 'off'
// (dropped; it retries after 0.5 s, doubling up to 5 s). A stream silent for 40 s
// (the server sends a keep-alive every 15 s) counts as dropped.
const SILENCE_MS = 40000;

export class Live {
  constructor({ getToken, onEvent, onState, onAuthError }) {
    Object.assign(this, { getToken, onEvent, onState, onAuthError });
    this.running = false;
    this.lastId = null;
    this.state = 'off';
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.loop();
  }

  stop() {
    this.running = false;
    if (this.controller) this.controller.abort();
    this.setState('off');
  }

  // Drops the current connection (it reconnects as after any drop).
  drop() {
    if (this.controller) this.controller.abort();
  }

  setState(s) {
    if (s === this.state) return;
    this.state = s;
    this.onState(s);
  }

  async loop() {
    let delay = 500;
    while (this.running) {
      this.setState('connecting');
      const controller = new AbortController();
      this.controller = controller;
      try {
        const headers = { Authorization: `Bearer ${this.getToken()}`, Accept: 'text/event-stream' };
        if (this.lastId) headers['Last-Event-ID'] = this.lastId;
        const res = await fetch('/events', { headers, signal: controller.signal, cache: 'no-store', credentials: 'omit' });
        if (res.status === 401 || res.status === 403) {
          this.running = false;
          this.setState('off');
          this.onAuthError(res.status);
          return;
        }
        if (!res.ok || !res.body) throw new Error(`GET /events: ${res.status}`);
        await this.read(res.body.getReader(), controller, () => {
          delay = 500;
        });
      } catch {
        // dropped, refused or aborted: fall through to the retry
      }
      if (!this.running) break;
      this.setState('off');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }

  async read(reader, controller, onReady) {
    const decoder = new TextDecoder();
    let buffer = '';
    let event = { type: 'message', data: [], id: null };
    let watchdog;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
    };
    arm();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        arm();
        buffer += decoder.decode(value, { stream: true });
        let at;
        while ((at = buffer.search(/\r\n|\r|\n/)) >= 0) {
          const line = buffer.slice(0, at);
          buffer = buffer.slice(at + (buffer.startsWith('\r\n', at) ? 2 : 1));
          if (line === '') {
            if (event.id !== null) this.lastId = event.id;
            if (event.data.length) this.dispatch(event, onReady);
            event = { type: 'message', data: [], id: null };
            continue;
          }
          if (line.startsWith(':')) continue; // keep-alive comment
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let val = colon < 0 ? '' : line.slice(colon + 1);
          if (val.startsWith(' ')) val = val.slice(1);
          if (field === 'data') event.data.push(val);
          else if (field === 'event') event.type = val;
          else if (field === 'id' && !val.includes('\0')) event.id = val;
        }
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  dispatch(event, onReady) {
    let data = null;
    try {
      data = JSON.parse(event.data.join('\n'));
    } catch {
      data = null;
    }
    if (event.type === 'ready') {
      this.setState('live');
      onReady();
      return;
    }
    if (event.type === 'reset') this.setState('live');
    this.onEvent({ type: event.type, data: data || {} });
  }
}
