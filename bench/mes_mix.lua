-- wrk script for bench/mes_mix.sh: the MES read mix, optionally with status changes.
--
--   80% GET /orders?<one of the queries in $MES_MIX_LISTS>, drawn Zipf(s=1) by rank
--   15% GET /orders/ORD-nnnnnnn, Zipf(s=1) over the $MES_MIX_ORDERS newest orders
--    5% GET /dashboard
-- With MES_MIX_WRITE_PERCENT=p (e.g. 1), p% of requests are status changes instead (the
-- reads keep their 80/15/5 proportions): each wrk thread owns a disjoint share of the
-- orders listed in $MES_MIX_WRITE_IDS (all in_production at the start) and moves each
-- back and forth between in_production and quality_check (the contract's rework loop),
-- so nearly every change is a valid one.
--
-- With MES_MIX_DASHBOARD_ONLY=1 every read is GET /dashboard (its latency on its own).
-- With MES_MIX_GZIP=1 every read sends `Accept-Encoding: gzip` (as browsers do).
-- With MES_MIX_DELAY_MS=n each connection pauses n ms between its requests (the steady
-- writers of bench/mes_mix.sh: MES_MIX_WRITE_PERCENT=100, 20 connections, 400 ms).
--
-- done() prints one line: RESULT requests=… duration_us=… p50_us=… p99_us=… non2xx=…
-- socket_errors=…

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local out = {}
  if not path or path == "" then return out end
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    if line ~= "" then table.insert(out, line) end
  end
  f:close()
  return out
end

-- Cumulative Zipf(s=1) weights over ranks 1..n.
local function zipf_cdf(n)
  local cdf, sum = {}, 0
  for r = 1, n do
    sum = sum + 1 / r
    cdf[r] = sum
  end
  for r = 1, n do cdf[r] = cdf[r] / sum end
  return cdf
end

local function draw(cdf)
  local u, lo, hi = math.random(), 1, #cdf
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end

local lists, list_cdf, order_cdf
local newest, order_count
local writes, write_state, write_fraction
local auth, json_headers
local dashboard_only

function init(args)
  math.randomseed(4242 + (thread_index or 0) * 7919)
  lists = read_lines(os.getenv("MES_MIX_LISTS"))
  assert(#lists > 0, "MES_MIX_LISTS is empty")
  list_cdf = zipf_cdf(#lists)
  newest = tonumber(os.getenv("MES_MIX_NEWEST_ID"))
  order_count = tonumber(os.getenv("MES_MIX_ORDERS") or "100000")
  order_cdf = zipf_cdf(order_count)
  auth = { ["Authorization"] = "Bearer " .. os.getenv("MES_MIX_TOKEN") }
  if os.getenv("MES_MIX_GZIP") == "1" then auth["Accept-Encoding"] = "gzip" end
  json_headers = { ["Authorization"] = auth["Authorization"], ["Content-Type"] = "application/json" }

  write_fraction = tonumber(os.getenv("MES_MIX_WRITE_PERCENT") or "0") / 100
  dashboard_only = os.getenv("MES_MIX_DASHBOARD_ONLY") == "1"
  writes, write_state = {}, {}
  local nthreads = tonumber(os.getenv("MES_MIX_THREADS") or "2")
  for i, id in ipairs(read_lines(os.getenv("MES_MIX_WRITE_IDS"))) do
    if (i - 1) % nthreads == (thread_index or 0) then
      table.insert(writes, string.format("ORD-%07d", tonumber(id)))
      write_state[#writes] = "in_production"
    end
  end
end

local next_write = 0

-- Defined only when asked for: wrk then schedules every request through a timer.
local pause = tonumber(os.getenv("MES_MIX_DELAY_MS") or "")
if pause then
  function delay()
    return pause
  end
end

function request()
  local u = math.random()
  if u < write_fraction and #writes > 0 then
    next_write = next_write % #writes + 1
    local to = write_state[next_write] == "in_production" and "quality_check" or "in_production"
    write_state[next_write] = to
    return wrk.format("POST", "/orders/" .. writes[next_write] .. "/status", json_headers,
                      '{"status":"' .. to .. '","comment":"bench"}')
  end
  u = math.random()
  if dashboard_only then
    return wrk.format("GET", "/dashboard", auth)
  elseif u < 0.80 then
    return wrk.format("GET", lists[draw(list_cdf)], auth)
  elseif u < 0.95 then
    local id = newest - draw(order_cdf) + 1
    return wrk.format("GET", string.format("/orders/ORD-%07d", id), auth)
  else
    return wrk.format("GET", "/dashboard", auth)
  end
end

function done(summary, latency, requests)
  io.write(string.format(
      "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      summary.errors.status,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
