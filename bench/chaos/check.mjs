// ./dev chaos's invariant checker and report: reads the buyers' log, the
// phases (baseline and one per fault), the database's buys, idempotency
// keys and audit rows, and the fake ad servers' orders; checks the
// invariants of issue 21 and attributes each failure to the phase it
// happened in; prints docs/reliability.md's table (markdown) and writes
// every finding to FINDINGS (JSON).
//
// usage: node check.mjs LOG PHASES DB_JSON UPSTREAM_JSON CREDENTIALS FINDINGS
import { readFileSync, writeFileSync } from 'node:fs';

const [logFile, phasesFile, dbFile, upstreamFile, credentialsFile, findingsFile] =
  process.argv.slice(2);
const lines = (f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const log = lines(logFile);
const phases = lines(phasesFile);
const lastT = Math.max(...log.map((e) => e.t));
phases.forEach((p, i) => { p.next = phases[i + 1]?.start ?? lastT + 1; });
const db = JSON.parse(readFileSync(dbFile, 'utf8'));
const upstream = JSON.parse(readFileSync(upstreamFile, 'utf8')).orders;
const accounts = new Map(readFileSync(credentialsFile, 'utf8').trim().split('\n').map((l) => {
  const [tenant, , adapter, , account] = l.split(/\s+/);
  return [tenant, { adapter, account: account === '-' ? '' : account }];
}));

const phaseAt = (t) => {
  let found = phases[0];
  for (const p of phases) if (p.start <= t) found = p;
  return found.name;
};
const findings = [];
const find = (t, what, detail) => findings.push({ phase: phaseAt(t), what, detail });

// The database's side.
const buys = new Map(db.buys.map((b) => [`${b.tenant}/${b.id}`, b]));
const buysById = new Map();
for (const b of db.buys) buysById.set(b.id, [...(buysById.get(b.id) ?? []), b]);
const audited = new Set(db.audit.filter((a) => a.op === 'create_media_buy').map((a) => `${a.tenant}/${a.mb}`));
// Upstream, per account: order name -> orders.
const byName = new Map();
for (const o of upstream) {
  const k = `${o.account}/${o.name}`;
  byName.set(k, [...(byName.get(k) ?? []), o]);
}

// 1. Acknowledged creates: exactly once in the database (for that tenant)
// and, once placed, exactly once upstream.
const finals = log.filter((e) => e.kind === 'final');
const keyToBuys = new Map();
// (A buy for review is acknowledged when its approval is.)
for (const e of finals.filter((f) => ['create_media_buy', 'approve'].includes(f.op) && f.ok && f.media_buy_id)) {
  const rows = buysById.get(e.media_buy_id) ?? [];
  const own = rows.filter((r) => r.tenant === e.tenant);
  if (own.length !== 1) find(e.t, 'acknowledged_lost', { tenant: e.tenant, id: e.media_buy_id, rows: own.length });
  if (rows.length !== own.length) find(e.t, 'cross_tenant', { tenant: e.tenant, id: e.media_buy_id });
  const k = `${e.op}/${e.tenant}/${e.key}`;
  keyToBuys.set(k, new Set([...(keyToBuys.get(k) ?? []), e.media_buy_id]));
  const acc = accounts.get(e.tenant);
  const row = own[0];
  if (!row || !acc?.account || row.status === 'pending_approval' || row.status === 'rejected') continue;
  const orders = byName.get(`${acc.account}/AdCP ${e.media_buy_id}`) ?? [];
  if (orders.length === 0 && !row.failed_step) find(e.t, 'acknowledged_not_upstream', { tenant: e.tenant, id: e.media_buy_id });
}
// Buys for review: the task the buyer was given exists, with its buy.
const tasks = new Set(db.tasks.map((t) => `${t.tenant}/${t.id}`));
for (const e of finals.filter((f) => f.op === 'create_media_buy' && f.ok && f.task_id)) {
  if (!tasks.has(`${e.tenant}/${e.task_id}`)) find(e.t, 'acknowledged_lost', { tenant: e.tenant, task: e.task_id });
}
// One key, one buy (the answers of its retries agree).
for (const [k, ids] of keyToBuys) if (ids.size > 1) find(Date.now(), 'key_two_buys', { key: k, ids: [...ids] });

// 2. No key (no buy: a buy is named after its id upstream) made two orders.
for (const [k, orders] of byName) {
  if (orders.length > 1) find(Math.min(...orders.map((o) => o.created_ms)), 'duplicated_upstream', { name: k, ids: orders.map((o) => o.id) });
}

// 3. Orphans: upstream without a row, rows placed without an order;
// marked ones (adapter_state.failed_step: the buyer was told to resume) are
// reported apart.
const accountTenant = new Map([...accounts].map(([t, a]) => [a.account, t]));
for (const o of upstream) {
  const tenant = accountTenant.get(o.account);
  const id = o.name.replace(/^AdCP /, '');
  const row = buys.get(`${tenant}/${id}`);
  if (!row) find(o.created_ms, 'orphan_upstream', { account: o.account, name: o.name, id: o.id });
  else if (row.failed_step) find(o.created_ms, 'marked_for_operator', { tenant, id, step: row.failed_step });
}
for (const b of db.buys) {
  const acc = accounts.get(b.tenant);
  if (!acc?.account || b.status === 'pending_approval' || b.status === 'rejected') continue;
  if (!(byName.get(`${acc.account}/AdCP ${b.id}`) ?? []).length) {
    find(b.created_ms, b.failed_step ? 'marked_for_operator' : 'orphan_row', { tenant: b.tenant, id: b.id, step: b.failed_step ?? '' });
  }
}

// 4. Cross-tenant answers the buyers saw.
for (const v of log.filter((e) => e.kind === 'violation')) find(v.t, v.what, v.detail);

// 5. An audit row per committed buy.
for (const b of db.buys) if (!audited.has(`${b.tenant}/${b.id}`)) find(b.created_ms, 'missing_audit', { tenant: b.tenant, id: b.id });

// Per phase: errors by code, non-transient errors, latency, recovery.
const pct = (xs, p) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const attempts = log.filter((e) => e.kind === 'attempt');
const base = phases[0];
const baseP99 = pct(attempts.filter((a) => a.t >= base.start && a.t < base.end && a.ok).map((a) => a.ms), 0.99);
const rows = [];
for (const p of phases) {
  const during = attempts.filter((a) => a.t >= p.start && a.t < p.next);
  const errors = {};
  for (const a of during.filter((x) => !x.ok)) {
    const label = a.http === 0 ? `conn:${a.code}` : `${a.http}${a.code ? ' ' + a.code : ''}`;
    errors[label] = (errors[label] ?? 0) + 1;
  }
  const wrong = finals.filter((f) => f.t >= p.start && f.t < p.next && !f.ok);
  // Recovery, from the fault's end: the first 5 s window with no failed
  // attempt (healthy), and the first whose p99 is within 1.5x of the
  // baseline's as well (p99 back).
  let healthy = null;
  let recovery = null;
  if (p.name !== base.name) {
    for (let t = p.end; t + 5000 <= p.next && recovery === null; t += 1000) {
      const w = attempts.filter((a) => a.t >= t && a.t < t + 5000);
      if (!w.length || !w.every((a) => a.ok)) continue;
      if (healthy === null) healthy = (t - p.end) / 1000;
      if (pct(w.map((a) => a.ms), 0.99) <= 1.5 * baseP99) recovery = (t - p.end) / 1000;
    }
  }
  const mine = findings.filter((f) => f.phase === p.name);
  const count = (...whats) => mine.filter((f) => whats.includes(f.what)).length;
  rows.push({ phase: p.name, seconds: Math.round((p.end - p.start) / 1000), attempts: during.length,
    errors, failed_ops: wrong.length,
    failed_codes: [...new Set(wrong.map((f) => `${f.op}:${f.http} ${f.code}`))].slice(0, 4),
    p99_ms: pct(during.filter((a) => a.ok).map((a) => a.ms), 0.99),
    healthy_s: healthy, recovery_s: recovery, settle_s: Math.round((p.next - p.end) / 1000), lost: count('acknowledged_lost', 'acknowledged_not_upstream', 'key_two_buys'),
    duplicated: count('duplicated_upstream'), orphans: count('orphan_upstream', 'orphan_row'),
    marked: count('marked_for_operator'), cross_tenant: count('cross_tenant'),
    missing_audit: count('missing_audit') });
}
writeFileSync(findingsFile, JSON.stringify({ baseline_p99_ms: baseP99, rows, findings }, null, 1));
console.log(`| fault | s | attempts | errors seen (by HTTP status and code) | failed ops (after retries) | healthy after s | p99 back after s | p99 ms during | lost | dup upstream | orphans | marked | cross-tenant | missing audit |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const errs = Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join('; ') || 'none';
  const failed = r.failed_ops ? `${r.failed_ops} (${r.failed_codes.join('; ')})` : '0';
  console.log(`| ${r.phase} | ${r.seconds} | ${r.attempts} | ${errs} | ${failed} | ${r.phase === base.name ? '-' : r.healthy_s ?? `>${r.settle_s}`} | ${r.phase === base.name ? '-' : r.recovery_s ?? `>${r.settle_s}`} | ${r.p99_ms} | ${r.lost} | ${r.duplicated} | ${r.orphans} | ${r.marked} | ${r.cross_tenant} | ${r.missing_audit} |`);
}
console.log(`\nbaseline p99 ${baseP99} ms; ${findings.length} findings (${findingsFile})`);
