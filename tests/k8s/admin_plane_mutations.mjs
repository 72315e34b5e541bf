// Each admin-plane check of admin_plane.mjs can fail: the rendered manifests
// pass, and each mutation below (a way the admin plane could leak onto the
// public edge or lose its source restriction) is reported. Run by ctest
// (k8s_admin_plane_mutations):
//
//   node tests/k8s/admin_plane_mutations.mjs <repo root>
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import yaml from 'js-yaml';
import { checkEnvoy, checkExposure } from './admin_plane.mjs';

const [root] = process.argv.slice(2);
if (!root) {
  console.error('usage: node admin_plane_mutations.mjs <repo root>');
  process.exit(2);
}
const render = (dir) => {
  const result = spawnSync('kubectl', ['kustomize', path.join(root, 'deploy/k8s', dir)], { encoding: 'utf8' });
  if (result.status !== 0) {
    console.error(`kubectl kustomize ${dir} failed: ${result.stderr ?? result.error}`);
    process.exit(1);
  }
  return yaml.loadAll(result.stdout).filter(Boolean);
};
const renders = { base: render('base'), dev: render('overlays/dev'), prod: render('overlays/prod') };
const envoyOf = (objects) => yaml.load(objects.find((o) => o.kind === 'ConfigMap' &&
                                                     o.metadata.name.startsWith('envoy-config')).data['envoy.yaml']);

function problemsOf(state) {
  const problems = [];
  const problem = (where, what) => problems.push(`${where}: ${what}`);
  checkEnvoy(state.prod, state.envoy, problem);
  for (const label of ['base', 'dev', 'prod']) checkExposure(label, state[label], state.envoy, problem);
  return problems;
}

// Accessors into a (cloned) state.
const listener = (s, name) => s.envoy.static_resources.listeners.find((l) => l.name === name);
const hcm = (s, name) => listener(s, name).filter_chains[0].filters
  .find((f) => f.name === 'envoy.filters.network.http_connection_manager').typed_config;
const routes = (s, name) => hcm(s, name).route_config.virtual_hosts[0].routes;
const rbac = (s) => listener(s, 'admin_plane').filter_chains[0].filters[0].typed_config;
const object = (objects, kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const toGateway = (match) => ({ match, route: { cluster: 'admin_gateway' } });

const mutations = [
  ['public listener without normalize_path', /normalize_path is not true/,
   (s) => { delete hcm(s, 'https').normalize_path; }],
  ['public listener: /tenants/../system reaches the agent edge', /tenants\/\.\.\/system\/tenants .*agent_edge/,
   (s) => { delete hcm(s, 'https').normalize_path; }],
  ['public listener without merge_slashes', /merge_slashes is not true/,
   (s) => { delete hcm(s, 'https').merge_slashes; }],
  ['public listener keeps escaped slashes', /path_with_escaped_slashes_action/,
   (s) => { hcm(s, 'https').path_with_escaped_slashes_action = 'KEEP_UNCHANGED'; }],
  ['public 404 for /system is case-sensitive', /\/System\/tenants .*no route/,
   (s) => { delete routes(s, 'https')[0].match.case_sensitive; }],
  ['public 404 for /admin removed', /\/admin\/login .*not direct_response 404/,
   (s) => { routes(s, 'https').splice(1, 1); }],
  ['public listener routes /system to the admin gateway', /may reach the admin gateway/,
   (s) => { routes(s, 'https').unshift(toGateway({ prefix: '/system' })); }],
  ['public listener gets a catch-all to the agent edge', /%73ystem\/tenants .*agent_edge/,
   (s) => { routes(s, 'https').push({ match: { prefix: '/' }, route: { cluster: 'agent_edge' } }); }],
  ['stats listener routes to the admin gateway', /listener stats: routes to the admin gateway/,
   (s) => { routes(s, 'stats').push(toGateway({ prefix: '/system/' })); }],
  ['admin listener: catch-all to the admin gateway', /sends more than \/system and \/admin/,
   (s) => { routes(s, 'admin_plane').at(-1).route = { cluster: 'admin_gateway' }; delete routes(s, 'admin_plane').at(-1).direct_response; }],
  ['admin listener: prefix /system (also /systemd)', /\/systemd goes to admin_gateway/,
   (s) => { routes(s, 'admin_plane')[0].match = { prefix: '/system' }; }],
  ['admin listener routes /mcp to the agent edge', /goes to agent_edge/,
   (s) => { routes(s, 'admin_plane').unshift({ match: { prefix: '/mcp' }, route: { cluster: 'agent_edge' } }); }],
  ['admin listener drops /admin', /\/admin\/login does not reach the admin gateway/,
   (s) => { routes(s, 'admin_plane').splice(1, 1); }],
  ['admin listener without RBAC', /no envoy\.filters\.network\.rbac filter/,
   (s) => { listener(s, 'admin_plane').filter_chains[0].filters.shift(); }],
  ['admin RBAC admits 0.0.0.0/0', /RBAC admits 0\.0\.0\.0\/0/,
   (s) => { Object.values(rbac(s).rules.policies)[0].principals.push({ direct_remote_ip: { address_prefix: '0.0.0.0', prefix_len: 0 } }); }],
  ['admin RBAC admits anyone', /is not a source address range/,
   (s) => { Object.values(rbac(s).rules.policies)[0].principals.push({ any: true }); }],
  ['admin RBAC only in shadow mode', /no enforced rules/,
   (s) => { const r = rbac(s); r.shadow_rules = r.rules; delete r.rules; }],
  ['envoy-admin Service behind the public port', /is behind both Services|exposes the admin port/,
   (s) => { object(s.prod, 'Service', 'envoy-admin').spec.ports[0].targetPort = 'https'; }],
  ['public envoy Service exposes the admin port', /envoy Service exposes the admin port/,
   (s) => { object(s.prod, 'Service', 'envoy').spec.ports.push({ name: 'admin', port: 9443, targetPort: 'admin' }); }],
  ['prod source ranges 0.0.0.0/0', /prod Service\/envoy-admin: loadBalancerSourceRanges admits 0\.0\.0\.0\/0/,
   (s) => { object(s.prod, 'Service', 'envoy-admin').spec.loadBalancerSourceRanges = ['0.0.0.0/0']; }],
  ['prod LoadBalancer without source ranges', /without loadBalancerSourceRanges/,
   (s) => { delete object(s.prod, 'Service', 'envoy-admin').spec.loadBalancerSourceRanges; }],
  ['prod externalTrafficPolicy Cluster', /externalTrafficPolicy is not Local/,
   (s) => { object(s.prod, 'Service', 'envoy-admin').spec.externalTrafficPolicy = 'Cluster'; }],
  ['base envoy-admin as NodePort', /base Service\/envoy-admin: type NodePort/,
   (s) => { object(s.base, 'Service', 'envoy-admin').spec.type = 'NodePort'; }],
  ['dev envoy-admin with externalIPs', /dev Service\/envoy-admin: has externalIPs/,
   (s) => { object(s.dev, 'Service', 'envoy-admin').spec.externalIPs = ['203.0.113.7']; }],
  ['prod NetworkPolicy and source ranges differ', /source ranges and the NetworkPolicy differ/,
   (s) => { object(s.prod, 'NetworkPolicy', 'envoy-admin').spec.ingress[0].from[0].ipBlock.cidr = '10.9.0.0/24'; }],
  ['prod NetworkPolicy admits 0.0.0.0/0 to the admin port', /admits 0\.0\.0\.0\/0 to Envoy's admin port/,
   (s) => { object(s.prod, 'NetworkPolicy', 'envoy-admin').spec.ingress[0].from.push({ ipBlock: { cidr: '0.0.0.0/0' } }); }],
  ['the public envoy policy loses its port list', /NetworkPolicy\/envoy: admits anyone to Envoy's admin port/,
   (s) => { delete object(s.prod, 'NetworkPolicy', 'envoy').spec.ingress[0].ports; }],
  ['a namespace reaches Envoy\'s admin port', /admits .*namespaceSelector.* to Envoy's admin port/,
   (s) => { object(s.dev, 'NetworkPolicy', 'envoy-admin').spec.ingress = [{ from: [{ namespaceSelector: {} }], ports: [{ port: 9443 }] }]; }],
  ['admin-gateway HTTP port from another namespace', /admin-gateway: admits .*namespaceSelector/,
   (s) => { object(s.prod, 'NetworkPolicy', 'admin-gateway').spec.ingress[0].from[0].namespaceSelector = {}; }],
  ['admin-gateway HTTP port from an ipBlock', /admits .*ipBlock.* to admin-gateway's port 8001/,
   (s) => { object(s.base, 'NetworkPolicy', 'admin-gateway').spec.ingress[0].from.push({ ipBlock: { cidr: '10.0.0.0/8' } }); }],
  ['admin-gateway HTTP port from a label Envoy shares', /selects pods besides Envoy's/,
   (s) => {
     for (const name of ['envoy', 'agent-edge'])
       object(s.prod, 'Deployment', name).spec.template.metadata.labels.tier = 'edge';
     object(s.prod, 'NetworkPolicy', 'admin-gateway').spec.ingress[0].from[0].podSelector = { matchLabels: { tier: 'edge' } };
   }],
  ['admin-gateway HTTP port from pods by expression', /admits .*matchExpressions.* to admin-gateway's port 8001/,
   (s) => { object(s.dev, 'NetworkPolicy', 'admin-gateway').spec.ingress[0].from[0].podSelector =
              { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'Exists' }] }; }],
  ['monitoring reaches admin-gateway on every port', /admin-gateway: admits .*monitoring/,
   (s) => { delete object(s.prod, 'NetworkPolicy', 'admin-gateway').spec.ingress[1].ports; }],
];

const pristine = { ...renders, envoy: envoyOf(renders.prod) };
let failures = 0;
const clean = problemsOf(structuredClone(pristine));
if (clean.length) {
  failures++;
  console.error(`the manifests themselves fail:\n  ${clean.join('\n  ')}`);
}
for (const [name, expected, mutate] of mutations) {
  const state = structuredClone(pristine);
  mutate(state);
  const found = problemsOf(state);
  if (found.some((p) => expected.test(p))) {
    console.log(`caught: ${name}`);
  } else {
    failures++;
    console.error(`MISSED: ${name} (expected ${expected}); reported:\n  ${found.join('\n  ') || '(nothing)'}`);
  }
}
console.log(`${mutations.length - failures} of ${mutations.length} mutations caught`);
process.exit(failures ? 1 : 0);
