-- wrk script for ./dev bench: MCP tools/call get_products (JSON-RPC over
-- streamable HTTP, stateless) with the buyer's token. BENCH_TOKEN and
-- BENCH_LABEL come from the environment; done() prints one JSON line.
local token = os.getenv("BENCH_TOKEN") or ""
local label = os.getenv("BENCH_LABEL") or "mcp"
local connections = tonumber(os.getenv("BENCH_CONCURRENCY") or "0")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_products",' ..
  '"arguments":{"buying_mode":"brief","brief":"display and video for a running shoe launch"}}}'

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local failed = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    '{"label":"%s","rpc":"mcp_get_products","concurrency":%d,"seconds":%.1f,' ..
    '"ok":%d,"failed":%d,"qps":%.1f,"p50_us":%d,"p99_us":%d,"first_failure":""}\n',
    label, connections, seconds, summary.requests - failed, failed,
    (summary.requests - failed) / seconds, latency:percentile(50), latency:percentile(99)))
end
