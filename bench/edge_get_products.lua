-- wrk script for ./dev bench: get_products through the agent edge with the
-- buyer's token, over MCP (tools/call, JSON-RPC over streamable HTTP,
-- stateless) or A2A (SendMessage, A2A 1.0, the task in a DataPart), as
-- BENCH_TRANSPORT says. BENCH_TOKEN and BENCH_LABEL come from the
-- environment too; done() prints one JSON line.
local token = os.getenv("BENCH_TOKEN") or ""
local label = os.getenv("BENCH_LABEL") or "mcp"
local transport = os.getenv("BENCH_TRANSPORT") or "mcp"
local connections = tonumber(os.getenv("BENCH_CONCURRENCY") or "0")
local arguments = '{"buying_mode":"brief","brief":"display and video for a running shoe launch"}'

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
if transport == "a2a" then
  wrk.body = '{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":' ..
    '{"messageId":"bench-1","role":"user","parts":[{"data":{"skill":"get_products",' ..
    '"input":' .. arguments .. '}}]}}}'
else
  wrk.headers["Accept"] = "application/json, text/event-stream"
  wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_products",' ..
    '"arguments":' .. arguments .. '}}'
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local failed = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    '{"label":"%s","rpc":"%s_get_products","concurrency":%d,"seconds":%.1f,' ..
    '"ok":%d,"failed":%d,"qps":%.1f,"p50_us":%d,"p99_us":%d,"first_failure":""}\n',
    label, transport, connections, seconds, summary.requests - failed, failed,
    (summary.requests - failed) / seconds, latency:percentile(50), latency:percentile(99)))
end
