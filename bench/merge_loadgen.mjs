// Merges the adcp-loadgen results of one measurement run in slices (./dev
// bench runs CreateMediaBuy and its pgbench twin in alternating slices):
// calls and seconds add up, the percentiles come from every slice's
// latencies together (written by --latencies_out).
//   node merge_loadgen.mjs RESULTS.jsonl LATENCIES...
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
const percentile = (p) =>
  latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0;
console.log(JSON.stringify({
  ...runs[0],
  seconds: Math.round(seconds * 10) / 10,
  ok,
  failed: sum('failed'),
  qps: Math.round((ok / seconds) * 10) / 10,
  p50_us: percentile(0.5),
  p99_us: percentile(0.99),
  first_failure: runs.map((run) => run.first_failure).find(Boolean) ?? '',
  slices: runs.length,
}));
