// The API client: bearer token from sessionStorage, JSON in and out, the contract's error
// envelope as ApiError, and what the console shows about each answer (X-Cache, time).
const TOKEN = 'shopfloor.token';

export const token = () => sessionStorage.getItem(TOKEN);
export const setToken = (value) => sessionStorage.setItem(TOKEN, value);
export const clearToken = () => sessionStorage.removeItem(TOKEN);

export class ApiError extends Error {
  constructor(status, code, message, meta) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.meta = meta;
  }
}

let onUnauthorized = () => {};
// Called with the ApiError when a signed-in request gets 401 (token revoked).
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function request(method, path, body, { auth = token() } = {}) {
  const headers = { Accept: 'application/json' };
  if (auth) headers.Authorization = `Bearer ${auth}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const started = performance.now();
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, 'network', String(e));
  }
  const text = await res.text();
  const meta = {
    status: res.status,
    cache: res.headers.get('X-Cache') || '—',
    ms: performance.now() - started,
    requestId: res.headers.get('X-Request-Id'),
  };
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    const err = new ApiError(res.status, e.code || `http_${res.status}`, e.message || '', meta);
    if (res.status === 401 && auth === token()) onUnauthorized(err);
    throw err;
  }
  return { data, meta };
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body, opts);

// The contract's transition table (CONTRACT.md, "MES API"): which buttons an order gets.
export const STATUSES = ['new', 'approved', 'in_production', 'quality_check', 'ready', 'shipped', 'cancelled'];
export const TRANSITIONS = {
  new: ['approved', 'cancelled'],
  approved: ['in_production', 'cancelled'],
  in_production: ['quality_check', 'cancelled'],
  quality_check: ['ready', 'in_production'],
  ready: ['shipped'],
  shipped: [],
  cancelled: [],
};
