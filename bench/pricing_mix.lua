-- wrk script for bench/pricing_mix.sh: POST /calculations with one of N request bodies
-- (one JSON object per line of $PRICING_MIX_BODIES), drawn from a Zipf distribution
-- over the line rank (exponent $PRICING_MIX_ZIPF_S, default 1.0): a few requests are
-- asked very often, most rarely, as partners' systems do. Fixed seeds: every run draws
-- the same sequence per thread.
local threads_seen = 0

function setup(thread)
  threads_seen = threads_seen + 1
  thread:set("seed", 7919 * threads_seen)
end

local requests, cdf = {}, {}

function init(args)
  local path = os.getenv("PRICING_MIX_BODIES")
  local s = tonumber(os.getenv("PRICING_MIX_ZIPF_S") or "1.0")
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("PRICING_MIX_TOKEN"),
  }
  local bodies = {}
  for line in io.lines(path) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  local sum = 0
  for i = 1, #bodies do
    sum = sum + 1 / (i ^ s)
    cdf[i] = sum
    requests[i] = wrk.format("POST", "/calculations", headers, bodies[i])
  end
  for i = 1, #bodies do cdf[i] = cdf[i] / sum end
  math.randomseed(seed or 1)
end

function request()
  local u = math.random()
  local lo, hi = 1, #cdf
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return requests[lo]
end
