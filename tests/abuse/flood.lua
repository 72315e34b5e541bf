-- wrk script for tests/abuse/flood.mjs (FLOOD_WRK=1): anonymous MCP
-- tools/call get_adcp_capabilities, as fast as wrk goes.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_adcp_capabilities","arguments":{}}}'

function done(summary, latency, requests)
  io.write(string.format("wrk-result requests=%d seconds=%.3f non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.errors.status))
end
