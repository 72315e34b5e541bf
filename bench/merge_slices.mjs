// Merges the slices of one measurement (./dev bench runs CreateMediaBuy and
// its pgbench twin in alternating slices): each slice is a result line in
// adcp-loadgen's shape plus a file of its counted calls' latencies (µs, one
// per line). Calls, failures and seconds add up; the rate, the percentiles
// and the mean latency come from every slice's calls together.
//   node merge_slices.mjs RESULTS.jsonl LATENCIES...
import fs from 'node:fs';

const [resultsFile, ...latencyFiles] = process.argv.slice(2);
const runs = fs.readFileSync(resultsFile, 'utf8').trim().split('\n')
  .filter(Boolean).map((line) => JSON.parse(line));
if (runs.length === 0) throw new Error(`no results in ${resultsFile}`);
const latencies = latencyFiles
  .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map(Number))
  .sort((a, b) => a - b);
const sum = (key) => runs.reduce((total, run) => total + run[key], 0);
const seconds = sum('seconds');
const ok = sum('ok');
if (ok !== latencies.length) throw new Error(`${ok} calls but ${latencies.length} latencies`);
if (ok === 0) throw new Error(`no call counted in ${resultsFile}`);
const percentile = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;
console.log(JSON.stringify({
  ...runs[0],
  seconds: round(seconds, 1),
  ok,
  failed: sum('failed'),
  qps: round(ok / seconds, 1),
  p50_us: percentile(0.5),
  p99_us: percentile(0.99),
  latency_avg_ms: round(latencies.reduce((t, x) => t + x, 0) / ok / 1000, 3),
  first_failure: runs.map((run) => run.first_failure).find(Boolean) ?? '',
  slices: runs.length,
}));
