// The admin plane off the public edge (issue 28), checked on the rendered
// manifests (see check.mjs):
//
// - Envoy: which listener a Service reaches is read from the Service's
//   targetPort. Only the listener behind `envoy-admin` routes to the admin
//   gateway, and only /system and /admin; it admits connections from a
//   bounded set of addresses (network RBAC). The listener behind the public
//   `envoy` Service answers 404 for every path an upstream could read as
//   /system or /admin (case, percent-encoding, dot segments, slashes),
//   modelled on Envoy's path normalization and route matching.
// - The envoy-admin Service is ClusterIP, or a LoadBalancer with source
//   ranges (none 0.0.0.0/0) and externalTrafficPolicy: Local.
// - NetworkPolicies admit Envoy's admin port from ipBlocks only (the same
//   ranges as the Service's), and admin-gateway's HTTP port from Envoy only.

const ADMIN_SERVICE = 'envoy-admin';
const PUBLIC_SERVICE = 'envoy';
const HCM = 'envoy.filters.network.http_connection_manager';
const NETWORK_RBAC = 'envoy.filters.network.rbac';
const NOT_FOUND = 'direct_response 404';
const NO_ROUTE = 'no route (404)';
const REJECTED = 'rejected (400)';

// ----------------------------------------------------- path semantics --
const UNRESERVED = /[A-Za-z0-9\-._~]/;
const decodeUnreserved = (p) => p.replace(/%([0-9A-Fa-f]{2})/g, (m, hex) => {
  const c = String.fromCharCode(parseInt(hex, 16));
  return UNRESERVED.test(c) ? c : m;
});
// RFC 3986 remove_dot_segments; Envoy's canonicalizer also reads %2e as ".".
function removeDots(path) {
  const segments = path.split('/').slice(1);
  const out = [];
  segments.forEach((raw, i) => {
    const s = raw.replace(/%2e/gi, '.');
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..') out.pop();
      if (last) out.push('');
    } else {
      out.push(raw);
    }
  });
  return `/${out.join('/')}`;
}
const splitQuery = (p) => {
  const at = p.indexOf('?');
  return at < 0 ? [p, ''] : [p.slice(0, at), p.slice(at)];
};

// The paths Envoy may route a request for `raw` on, given the connection
// manager's settings. Whether the canonicalizer decodes %XX of unreserved
// characters depends on Envoy's URL library version, so both are kept.
export function envoyPaths(raw, hcm) {
  let [path, query] = splitQuery(raw);
  const action = hcm.path_with_escaped_slashes_action ?? 'IMPLEMENTATION_SPECIFIC_DEFAULT';
  if (/%(2f|5c)/i.test(path)) {
    if (action === 'REJECT_REQUEST') return [REJECTED];
    if (action.startsWith('UNESCAPE')) path = path.replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
  }
  let paths = [path];
  if (hcm.normalize_path === true)
    paths = [path, decodeUnreserved(path)].map((p) => removeDots(p.replace(/\\/g, '/')));
  if (hcm.merge_slashes === true) paths = paths.map((p) => p.replace(/\/{2,}/g, '/'));
  return [...new Set(paths)].map((p) => p + query);
}

// How a lenient upstream may read the path it gets: decoded, "\" as "/", slashes
// merged, dot segments removed, any case.
function upstreamView(raw) {
  let [path] = splitQuery(raw);
  try { path = decodeURIComponent(path); } catch { /* keep it encoded */ }
  return removeDots(path.replace(/\\/g, '/').replace(/\/{2,}/g, '/')).toLowerCase();
}
const ADMIN_PATH = /^\/(system|admin)(\/|$)/;
const underAdmin = (path) => ADMIN_PATH.test(splitQuery(path)[0].toLowerCase());

// ------------------------------------------------------ route matching --
const PATH_KEYS = new Set(['prefix', 'path', 'path_separated_prefix', 'safe_regex', 'case_sensitive']);

function pathMatches(match, full) {
  const [path] = splitQuery(full);
  const fold = match.case_sensitive === false ? (s) => s.toLowerCase() : (s) => s;
  if (match.prefix !== undefined) return fold(full).startsWith(fold(match.prefix));
  if (match.path !== undefined) return fold(path) === fold(match.path);
  if (match.path_separated_prefix !== undefined) {
    const prefix = fold(match.path_separated_prefix);
    return fold(path) === prefix || fold(path).startsWith(`${prefix}/`);
  }
  if (match.safe_regex !== undefined) {
    try { return new RegExp(`^(?:${match.safe_regex.regex})$`).test(path); } catch { return true; }
  }
  return true;  // path_match_policy, connect_matcher: assume it may match
}

function destinations(route) {
  if (route.direct_response) return [`direct_response ${route.direct_response.status}`];
  if (route.redirect) return ['redirect'];
  const action = route.route ?? {};
  if (action.cluster) return [action.cluster];
  if (action.weighted_clusters) return action.weighted_clusters.clusters.map((c) => c.name);
  return ['any cluster'];  // cluster_header, cluster specifier plugins
}

// Every outcome a request for `path` may have in `routes` (first match wins;
// a route with conditions beyond the path may or may not take it).
export function routeOutcomes(routes, path) {
  const outcomes = [];
  for (const route of routes) {
    if (!pathMatches(route.match, path)) continue;
    outcomes.push(...destinations(route));
    if (Object.keys(route.match).every((k) => PATH_KEYS.has(k))) return outcomes;
  }
  return [...outcomes, NO_ROUTE];
}
export const firstRoute = (routes, path) =>
  routes.find((r) => Object.keys(r.match).every((k) => PATH_KEYS.has(k)) && pathMatches(r.match, path));

// --------------------------------------------------- Envoy and Services --
const containerPort = (deployment, targetPort) => {
  for (const container of deployment?.spec.template.spec.containers ?? [])
    for (const port of container.ports ?? [])
      if (port.name === targetPort || port.containerPort === targetPort) return port;
  return null;
};
const listenerPort = (listener) => listener.address?.socket_address?.port_value;

// The listeners (and container ports) a Service of Envoy's reaches.
export function listenersBehind(objects, envoy, serviceName, problem) {
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === serviceName);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'envoy');
  if (!service) { problem('envoy', `no Service ${serviceName}`); return { listeners: [], ports: [] }; }
  const ports = (service.spec.ports ?? []).map((p) => containerPort(deployment, p.targetPort ?? p.port));
  if (ports.some((p) => !p)) problem(`Service/${serviceName}`, 'a targetPort names no port of the envoy container');
  const numbers = new Set(ports.filter(Boolean).map((p) => p.containerPort));
  const listeners = envoy.static_resources.listeners.filter((l) => numbers.has(listenerPort(l)));
  if (listeners.length !== numbers.size) problem(`Service/${serviceName}`, 'a port reaches no Envoy listener');
  return { listeners, ports: ports.filter(Boolean) };
}

const hcmsOf = (listener) => listener.filter_chains.flatMap((c) => c.filters ?? [])
  .filter((f) => f.name === HCM).map((f) => f.typed_config);
const vhostsOf = (hcm, where, problem) => {
  if (!hcm.route_config) problem(where, 'routes not inline (RDS): cannot check them');
  return hcm.route_config?.virtual_hosts ?? [];
};

function normalizes(hcm, where, problem) {
  if (hcm.normalize_path !== true) problem(where, 'normalize_path is not true (dot segments reach the services)');
  if (hcm.merge_slashes !== true) problem(where, 'merge_slashes is not true');
  if (!['REJECT_REQUEST', 'UNESCAPE_AND_REDIRECT'].includes(hcm.path_with_escaped_slashes_action))
    problem(where, 'path_with_escaped_slashes_action neither rejects nor redirects %2F and %5C');
}

const PUBLIC_PROBES = [
  '/system', '/system/', '/system/tenants', '/system/tenants?limit=1', '/admin', '/admin/login',
  '/admin/tenants/acme', '/System/tenants', '/SYSTEM', '/ADMIN/login', '/aDmIn',
  '/%73ystem/tenants', '/%53YSTEM', '/%61dmin/login', '/sys%74em', '//system/tenants', '///admin',
  '/./system', '/tenants/../system/tenants', '/tenants/acme/../../admin/login',
  '/tenants/%2e%2e/system', '/tenants/%2E%2E/admin', '/mcp/../system', '/v1/../admin/login',
  '/tenants/acme/..%2f..%2fsystem', '/tenants%2f..%2fsystem', '/tenants/..\\system',
  '/healthz/../system/tenants', '/tenants//../system',
];
const ADMIN_ALLOWED = ['/system', '/system/tenants', '/system/tenants/acme/principals?x=1', '/admin',
                       '/admin/login', '/admin/tenants/acme'];
const ADMIN_DENIED = ['/', '/healthz', '/metrics', '/mcp', '/tenants/acme/mcp', '/v1/get_products',
                      '/systemd', '/administrator', '/stats/prometheus'];

function checkPublic(listener, adminClusters, problem) {
  for (const hcm of hcmsOf(listener)) {
    const where = `envoy listener ${listener.name}`;
    normalizes(hcm, where, problem);
    for (const vhost of vhostsOf(hcm, where, problem)) {
      for (const probe of PUBLIC_PROBES) {
        // The upstream gets the path as Envoy routed it.
        for (const path of envoyPaths(probe, hcm)) {
          if (path === REJECTED || !ADMIN_PATH.test(upstreamView(path))) continue;
          // Spelled /system or /admin (any case): the explicit 404 route.
          const wanted = underAdmin(path) ? [NOT_FOUND] : [NOT_FOUND, NO_ROUTE];
          const wrong = routeOutcomes(vhost.routes, path).filter((o) => !wanted.includes(o));
          if (wrong.length)
            problem(where, `${probe} (routed as ${path}) may go to ${wrong.join(', ')}, not ${wanted.join(' or ')}`);
        }
      }
      for (const route of vhost.routes)
        if (destinations(route).some((d) => adminClusters.has(d) || d === 'any cluster'))
          problem(where, `route ${JSON.stringify(route.match)} may reach the admin gateway`);
    }
  }
}

// A route to the admin gateway must take nothing but /system and /admin.
const adminScoped = (match) => {
  const keys = Object.keys(match).filter((k) => k !== 'case_sensitive');
  if (keys.length !== 1 || match.case_sensitive === false) return false;
  const [key] = keys;
  const value = match[key];
  if (key === 'path' || key === 'path_separated_prefix') return ADMIN_PATH.test(value);
  return key === 'prefix' && /^\/(system|admin)\//.test(value);
};

function checkAdmin(listener, adminClusters, problem) {
  const where = `envoy listener ${listener.name}`;
  for (const chain of listener.filter_chains) {
    const names = (chain.filters ?? []).map((f) => f.name);
    const rbac = chain.filters?.[names.indexOf(NETWORK_RBAC)]?.typed_config;
    if (!rbac || names.indexOf(NETWORK_RBAC) > names.indexOf(HCM))
      problem(where, `no ${NETWORK_RBAC} filter ahead of the HTTP connection manager (no source restriction)`);
    else checkRbac(rbac, where, problem);
  }
  for (const hcm of hcmsOf(listener)) {
    normalizes(hcm, where, problem);
    for (const vhost of vhostsOf(hcm, where, problem)) {
      for (const route of vhost.routes) {
        const to = destinations(route).filter((d) => !d.startsWith('direct_response'));
        if (to.some((d) => !adminClusters.has(d))) problem(where, `route ${JSON.stringify(route.match)} goes to ${to.join(', ')}`);
        else if (to.length && !adminScoped(route.match))
          problem(where, `route ${JSON.stringify(route.match)} sends more than /system and /admin to the admin gateway`);
      }
      for (const probe of ADMIN_ALLOWED)
        if (!routeOutcomes(vhost.routes, probe).every((o) => adminClusters.has(o)))
          problem(where, `${probe} does not reach the admin gateway`);
      for (const probe of ADMIN_DENIED) {
        const wrong = routeOutcomes(vhost.routes, probe).filter((o) => o !== NOT_FOUND && o !== NO_ROUTE);
        if (wrong.length) problem(where, `${probe} goes to ${wrong.join(', ')}, not 404`);
      }
    }
  }
}

// A CIDR that restricts something: not 0.0.0.0/0, nothing wider than /8
// (IPv4) or /32 (IPv6).
export function tooBroad(cidr) {
  const [address, bits] = String(cidr).split('/');
  const length = bits === undefined ? (address.includes(':') ? 128 : 32) : Number(bits);
  return !(length >= (address.includes(':') ? 32 : 8));
}

function checkRbac(rbac, where, problem) {
  if (!rbac.rules || rbac.matcher) { problem(where, 'the RBAC filter has no enforced rules (only shadow rules or a matcher)'); return; }
  if ((rbac.rules.action ?? 'ALLOW') !== 'ALLOW') problem(where, 'the RBAC filter does not allow-list sources');
  const principals = Object.values(rbac.rules.policies ?? {}).flatMap((p) => p.principals ?? []);
  if (!principals.length) problem(where, 'the RBAC filter admits no one (no principals)');
  for (const principal of principals) {
    const range = principal.direct_remote_ip ?? principal.source_ip;
    if (!range) problem(where, `RBAC principal ${JSON.stringify(principal)} is not a source address range`);
    else if (tooBroad(`${range.address_prefix}/${range.prefix_len ?? 0}`))
      problem(where, `RBAC admits ${range.address_prefix}/${range.prefix_len ?? 0}`);
  }
}

export function checkEnvoy(objects, envoy, problem) {
  const adminClusters = new Set(envoy.static_resources.clusters.filter((c) => c.name === 'admin_gateway' ||
    (c.load_assignment?.endpoints ?? []).flatMap((e) => e.lb_endpoints ?? [])
      .some((e) => /^admin-gateway(\.|$)/.test(e.endpoint?.address?.socket_address?.address ?? '')))
    .map((c) => c.name));
  const admin = listenersBehind(objects, envoy, ADMIN_SERVICE, problem).listeners;
  const open = listenersBehind(objects, envoy, PUBLIC_SERVICE, problem).listeners;
  if (!open.length) problem('envoy', `the ${PUBLIC_SERVICE} Service reaches no listener`);
  if (!admin.length) problem('envoy', `the ${ADMIN_SERVICE} Service reaches no listener`);
  for (const listener of admin) {
    if (open.includes(listener)) problem(`envoy listener ${listener.name}`, 'is behind both Services');
    else checkAdmin(listener, adminClusters, problem);
  }
  for (const listener of open) checkPublic(listener, adminClusters, problem);
  // Listeners behind neither Service (stats) reach no admin gateway either.
  for (const listener of envoy.static_resources.listeners.filter((l) => !admin.includes(l) && !open.includes(l)))
    for (const hcm of hcmsOf(listener))
      for (const vhost of hcm.route_config?.virtual_hosts ?? [])
        for (const route of vhost.routes)
          if (destinations(route).some((d) => adminClusters.has(d) || d === 'any cluster'))
            problem(`envoy listener ${listener.name}`, 'routes to the admin gateway');
}

// --------------------------------------- Services and NetworkPolicies --
const selects = (selector, labels) => {
  if (!selector) return false;
  const exact = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return exact;  // matchExpressions: assume they select (the stricter reading)
};
const podLabels = (objects, name) =>
  objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)?.spec.template.metadata.labels ?? {};

// The ingress rules of every policy on pods `labels` that admit `port`.
function rulesAdmitting(objects, labels, port) {
  return objects.filter((o) => o.kind === 'NetworkPolicy' && selects(o.spec.podSelector, labels))
    .flatMap((o) => (o.spec.ingress ?? []).map((rule) => ({ policy: o.metadata.name, rule })))
    .filter(({ rule }) => !rule.ports?.length || rule.ports.some((p) => (p.protocol ?? 'TCP') === 'TCP' &&
      (p.port === undefined || p.port === port.containerPort || p.port === port.name ||
       (p.endPort !== undefined && port.containerPort >= p.port && port.containerPort <= p.endPort))));
}

export function checkExposure(label, objects, envoy, problem) {
  const where = `${label} Service/${ADMIN_SERVICE}`;
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === ADMIN_SERVICE);
  if (!service) { problem(label, `no ${ADMIN_SERVICE} Service`); return; }
  const type = service.spec.type ?? 'ClusterIP';
  let ranges = null;
  if (service.spec.externalIPs?.length) problem(where, 'has externalIPs (no source restriction)');
  if (type === 'LoadBalancer') {
    const annotation = service.metadata.annotations?.['service.beta.kubernetes.io/load-balancer-source-ranges'];
    ranges = [...(service.spec.loadBalancerSourceRanges ?? []),
              ...(annotation ? annotation.split(',').map((s) => s.trim()) : [])];
    if (!ranges.length) problem(where, 'is a LoadBalancer without loadBalancerSourceRanges');
    for (const r of ranges.filter(tooBroad)) problem(where, `loadBalancerSourceRanges admits ${r}`);
    if (service.spec.externalTrafficPolicy !== 'Local')
      problem(where, 'externalTrafficPolicy is not Local (clients are SNATed; NetworkPolicy and RBAC cannot see them)');
  } else if (type !== 'ClusterIP') {
    problem(where, `type ${type} cannot be restricted by source`);
  }
  const { ports } = listenersBehind(objects, envoy, ADMIN_SERVICE, () => {});
  const publicPorts = listenersBehind(objects, envoy, PUBLIC_SERVICE, () => {}).ports;
  for (const port of ports) {
    if (publicPorts.some((p) => p.containerPort === port.containerPort))
      problem(label, `the ${PUBLIC_SERVICE} Service exposes the admin port ${port.containerPort}`);
    const admitted = new Set();
    for (const { policy, rule } of rulesAdmitting(objects, podLabels(objects, 'envoy'), port)) {
      const at = `${label} NetworkPolicy/${policy}`;
      if (!rule.from?.length) problem(at, `admits anyone to Envoy's admin port ${port.containerPort}`);
      for (const peer of rule.from ?? []) {
        if (!peer.ipBlock || peer.podSelector || peer.namespaceSelector)
          problem(at, `admits ${JSON.stringify(peer)} to Envoy's admin port (only the operator's ipBlocks may)`);
        else if (tooBroad(peer.ipBlock.cidr)) problem(at, `admits ${peer.ipBlock.cidr} to Envoy's admin port`);
        else admitted.add(peer.ipBlock.cidr);
      }
    }
    if (ranges) {
      const missing = ranges.filter((r) => !admitted.has(r));
      const extra = [...admitted].filter((r) => !ranges.includes(r));
      if (missing.length || extra.length)
        problem(label, `the ${ADMIN_SERVICE} source ranges and the NetworkPolicy differ (Service only: ` +
                       `${missing.join(' ') || '-'}; NetworkPolicy only: ${extra.join(' ') || '-'})`);
    }
  }
  checkGatewayPolicy(label, objects, problem);
}

// admin-gateway's HTTP port: from Envoy's pods (same namespace) only.
function checkGatewayPolicy(label, objects, problem) {
  const gateway = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'admin-gateway');
  const http = containerPort(gateway, 'http');
  if (!http) { problem(label, 'admin-gateway has no port named http'); return; }
  const envoyLabels = podLabels(objects, 'envoy');
  const others = objects.filter((o) => o.spec?.template?.metadata?.labels && o.metadata.name !== 'envoy')
    .map((o) => o.spec.template.metadata.labels);
  for (const { policy, rule } of rulesAdmitting(objects, podLabels(objects, 'admin-gateway'), http)) {
    const at = `${label} NetworkPolicy/${policy}`;
    if (!rule.from?.length) problem(at, `admits anyone to admin-gateway's port ${http.containerPort}`);
    for (const peer of rule.from ?? [])
      if (peer.ipBlock || peer.namespaceSelector || !Object.keys(peer.podSelector?.matchLabels ?? {}).length ||
          peer.podSelector.matchExpressions || !selects(peer.podSelector, envoyLabels))
        problem(at, `admits ${JSON.stringify(peer)} to admin-gateway's port ${http.containerPort} (Envoy only)`);
      else if (others.some((labels) => selects(peer.podSelector, labels)))
        problem(at, `${JSON.stringify(peer)} selects pods besides Envoy's, on admin-gateway's port ${http.containerPort}`);
  }
}
