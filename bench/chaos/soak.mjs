// ./dev chaos --soak's report: every service's RSS growth after warm-up
// (target under 5%), its open descriptors and the database's connections
// per role (flat), and the buyers' p99 per window (flat within noise).
//
// usage: node soak.mjs BUYERS_LOG SAMPLES START_MS WINDOW_S
//   SAMPLES: chaos.sh's JSON lines {t, service, rss_kib, fds, db}.
// Warm-up: the first fifth of the run (at least 60 s).
import { readFileSync } from 'node:fs';

const [logFile, samplesFile, startText, windowText] = process.argv.slice(2);
const start = Number(startText);
const windowMs = Number(windowText) * 1000;
const lines = (f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const samples = lines(samplesFile);
const attempts = lines(logFile).filter((e) => e.kind === 'attempt' && e.t >= start);
const end = Math.max(...samples.map((s) => s.t));
const warm = start + Math.max(60000, (end - start) / 5);
const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};

console.log(`soak: ${((end - start) / 60000).toFixed(1)} minutes, ${samples.length} samples; warm-up until minute ${((warm - start) / 60000).toFixed(1)}\n`);
console.log('| service | RSS after warm-up MiB | RSS at the end MiB | growth | max MiB | descriptors min / max (after warm-up) |');
console.log('|---|---|---|---|---|---|');
let met = true;
const services = [...new Set(samples.map((s) => s.service))];
for (const name of services) {
  const mine = samples.filter((s) => s.service === name && s.rss_kib > 0);
  const after = mine.filter((s) => s.t >= warm);
  if (!after.length) continue;
  const first = after[0].rss_kib;
  const last = after[after.length - 1].rss_kib;
  const growth = (last - first) / first;
  if (growth >= 0.05) met = false;
  const fds = after.map((s) => s.fds);
  console.log(`| ${name} | ${(first / 1024).toFixed(1)} | ${(last / 1024).toFixed(1)} | ${(growth * 100).toFixed(1)}% | ${(Math.max(...mine.map((s) => s.rss_kib)) / 1024).toFixed(1)} | ${Math.min(...fds)} / ${Math.max(...fds)} |`);
}

// Database connections per role: one sample per time.
const byTime = new Map(samples.map((s) => [s.t, s.db]));
const roles = new Set([...byTime.values()].flatMap((d) => Object.keys(d)));
console.log('\n| database role | connections min / max (after warm-up) |');
console.log('|---|---|');
for (const role of roles) {
  const counts = [...byTime].filter(([t]) => t >= warm).map(([, d]) => d[role] ?? 0);
  console.log(`| ${role} | ${Math.min(...counts)} / ${Math.max(...counts)} |`);
}

const clock = (ms) => `${Math.floor(ms / 60000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;
console.log(`\n| window (min:s) | attempts | failed | p50 ms | p99 ms |`);
console.log('|---|---|---|---|---|');
for (let t = start; t < end; t += windowMs) {
  const w = attempts.filter((a) => a.t >= t && a.t < t + windowMs);
  const ok = w.filter((a) => a.ok).map((a) => a.ms);
  console.log(`| ${clock(t - start)}-${clock(Math.min(t + windowMs, end) - start)} | ${w.length} | ${w.length - ok.length} | ${pct(ok, 0.5)} | ${pct(ok, 0.99)} |`);
}
console.log(`\nRSS growth after warm-up under 5% for every service: ${met ? 'met' : 'NOT met'}`);
