-- wrk script for bench/mes_mix.sh's steady-writes phases: status changes only, each
-- connection pausing MES_MIX_DELAY_MS between its requests (20 connections and 400 ms:
-- ~50 changes/s in all, whatever the readers beside them do). Each order listed in
-- $MES_MIX_WRITE_IDS (all in_production at the start) is moved to quality_check, then
-- back, in turn, so every change is a valid one. done() prints the RESULT line of
-- mes_mix.lua.
local orders, state, next_write = {}, {}, 0
local headers, pause

function init(args)
  local f = assert(io.open(os.getenv("MES_MIX_WRITE_IDS"), "r"))
  for line in f:lines() do
    if line ~= "" then
      table.insert(orders, string.format("ORD-%07d", tonumber(line)))
      state[#orders] = "in_production"
    end
  end
  f:close()
  assert(#orders > 0, "MES_MIX_WRITE_IDS is empty")
  headers = { ["Authorization"] = "Bearer " .. os.getenv("MES_MIX_TOKEN"),
              ["Content-Type"] = "application/json" }
  pause = tonumber(os.getenv("MES_MIX_DELAY_MS") or "400")
end

function delay()
  return pause
end

function request()
  next_write = next_write % #orders + 1
  local to = state[next_write] == "in_production" and "quality_check" or "in_production"
  state[next_write] = to
  return wrk.format("POST", "/orders/" .. orders[next_write] .. "/status", headers,
                    '{"status":"' .. to .. '","comment":"bench"}')
end

function done(summary, latency, requests)
  io.write(string.format(
      "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      summary.errors.status,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
