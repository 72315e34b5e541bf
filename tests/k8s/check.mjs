// Offline checks of deploy/k8s, run by ctest (k8s_offline_checks):
//
//   node tests/k8s/check.mjs <repo root> <build dir>
//
// 1. `kubectl kustomize` builds overlays/dev and overlays/prod.
// 2. Every rendered object validates against the Kubernetes schemas
//    (kubernetes-models), and against project policy: probes, requests and
//    limits, the hardened securityContext on every container; a PDB for every
//    Deployment of 2+ replicas; no `latest` or untagged image; no Secret with
//    data anywhere (rendered or in the repository).
// 3. Envoy: the transcoder names only services of the descriptor set the
//    CMake build produced, and every google.api.http route of that set
//    reaches media-buy through the route table with the transcoder on;
//    client-sent tenancy headers are stripped and the Host forwarded.
//    The admin plane (admin_plane.mjs): /system and /admin only on the
//    listener behind the envoy-admin Service, source-restricted (RBAC, the
//    Service's ranges, NetworkPolicies); 404 for them on the public one.
// 4. Each image's runtime package list covers the shared libraries of the
//    built binary (`ldd`, mapped to Debian packages with `dpkg -S`).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { checkEnvoy, checkExposure, firstRoute, listenersBehind } from './admin_plane.mjs';

const [root, buildDir] = process.argv.slice(2);
if (!root || !buildDir) {
  console.error('usage: node check.mjs <repo root> <build dir>');
  process.exit(2);
}
const k8s = path.join(root, 'deploy/k8s');
const problems = [];
const problem = (where, what) => problems.push(`${where}: ${what}`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error?.code === 'ENOENT') {
    console.error(`${command} is not installed; the offline deploy checks need it` +
                  (command === 'kubectl' ? ' (kubectl with kustomize, on the machine image)' : ''));
    process.exit(1);
  }
  return result;
}

// ------------------------------------------------------------ 1. render --
function render(dir) {
  const result = run('kubectl', ['kustomize', path.join(k8s, dir)]);
  if (result.status !== 0) {
    problem(dir, `kubectl kustomize failed: ${result.stderr.trim()}`);
    return null;
  }
  return yaml.loadAll(result.stdout).filter(Boolean);
}
const rendered = {};
for (const overlay of ['dev', 'prod']) {
  const objects = render(path.join('overlays', overlay));
  if (!objects) continue;
  rendered[overlay] = objects;
  console.log(`overlays/${overlay}: ${rendered[overlay].length} objects`);
}

// ------------------------------------------------- 2. schemas and policy --
async function model(object) {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/') : [null, object.apiVersion];
  const module = group ? `kubernetes-models/${group}/${version}/${object.kind}`
                       : `kubernetes-models/${version}/${object.kind}`;
  try {
    return (await import(module))[object.kind];
  } catch {
    return null;
  }
}

const hardened = (container, pod) => {
  const c = container.securityContext ?? {};
  const p = pod.securityContext ?? {};
  const missing = [];
  if (!(c.runAsNonRoot ?? p.runAsNonRoot)) missing.push('runAsNonRoot');
  if (c.readOnlyRootFilesystem !== true) missing.push('readOnlyRootFilesystem');
  if (c.allowPrivilegeEscalation !== false) missing.push('allowPrivilegeEscalation: false');
  if (!(c.capabilities?.drop ?? []).includes('ALL')) missing.push('capabilities.drop [ALL]');
  return missing;
};

const imageProblem = (image) => {
  const tag = image.includes('@') ? 'digest' : image.split('/').pop().split(':')[1];
  if (!tag) return 'has no tag';
  if (tag === 'latest' || tag.startsWith('latest')) return 'uses the latest tag';
  return null;
};

for (const [overlay, objects] of Object.entries(rendered)) {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  for (const object of objects) {
    const where = `${overlay} ${object.kind}/${object.metadata?.name}`;
    const Model = await model(object);
    if (!Model) {
      problem(where, `no Kubernetes schema for ${object.apiVersion} ${object.kind}`);
    } else {
      try {
        new Model(object).validate();
      } catch (error) {
        problem(where, `invalid: ${error.message}`);
      }
    }
    if (object.kind === 'Secret') problem(where, 'a Secret is rendered; secrets are referenced by name only');
    const pod = object.spec?.template?.spec;
    if (!pod) continue;
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const at = `${where} container ${container.name}`;
      const image = imageProblem(container.image ?? '');
      if (image) problem(at, `image ${container.image} ${image}`);
      for (const kind of ['requests', 'limits'])
        for (const resource of ['cpu', 'memory'])
          if (!container.resources?.[kind]?.[resource]) problem(at, `no resources.${kind}.${resource}`);
      const missing = hardened(container, pod);
      if (missing.length) problem(at, `securityContext lacks ${missing.join(', ')}`);
      if (object.kind === 'Deployment') {
        if (!container.readinessProbe) problem(at, 'no readinessProbe');
        if (!container.livenessProbe) problem(at, 'no livenessProbe');
      }
    }
  }
  // A PDB for every Deployment that runs (or may scale to) 2+ replicas.
  for (const deployment of deployments) {
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' &&
                                    o.spec.scaleTargetRef.name === deployment.metadata.name);
    if (hpa && deployment.spec.replicas !== undefined)
      problem(`${overlay} Deployment/${deployment.metadata.name}`,
              'sets spec.replicas under an HPA (every apply would reset the scaled count)');
    const replicas = Math.max(deployment.spec.replicas ?? 1, hpa?.spec.maxReplicas ?? 0);
    if (replicas < 2) continue;
    const labels = deployment.spec.template.metadata.labels;
    const covered = objects.some((o) => {
      const selector = Object.entries(o.spec?.selector?.matchLabels ?? {});
      return o.kind === 'PodDisruptionBudget' && selector.length > 0 &&
             selector.every(([k, v]) => labels[k] === v);
    });
    if (!covered) problem(`${overlay} Deployment/${deployment.metadata.name}`, 'runs 2+ replicas without a PodDisruptionBudget');
  }
  if (!objects.some((o) => o.kind === 'NetworkPolicy' &&
                           Object.keys(o.spec.podSelector ?? {}).length === 0 &&
                           ['Ingress', 'Egress'].every((t) => (o.spec.policyTypes ?? []).includes(t)) &&
                           !o.spec.ingress && !o.spec.egress))
    problem(overlay, 'no default-deny NetworkPolicy');
}

// No Secret with data anywhere under deploy/.
function* files(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* files(full);
    else yield full;
  }
}
for (const file of files(path.join(root, 'deploy'))) {
  if (!/\.ya?ml$/.test(file)) continue;
  for (const doc of yaml.loadAll(readFileSync(file, 'utf8')).filter(Boolean)) {
    if (doc.kind === 'Secret' && (doc.data || doc.stringData))
      problem(path.relative(root, file), 'a Secret with data is committed');
  }
}

// ------------------------------------------------------------ 3. Envoy --
const descriptorSet = path.join(buildDir, 'descriptors/media_buy.pb');
if (!existsSync(descriptorSet)) {
  problem('envoy', `${descriptorSet} is missing (the CMake target adcp_descriptor_set makes it)`);
} else {
  const decoded = run('protoc', [`--descriptor_set_in=${descriptorSet}`,
    '--decode=google.protobuf.FileDescriptorSet', 'google/protobuf/descriptor.proto'],
    { input: readFileSync(descriptorSet) });
  if (decoded.status !== 0) problem('envoy', `protoc could not read the descriptor set: ${decoded.stderr}`);
  // Services ("package.Name") and their http rules, from protoc's text form:
  // files are top-level `file {`, services two spaces in.
  const services = new Set();
  const routes = [];  // { service, path }
  let pkg = '', service = '';
  for (const line of decoded.stdout.split('\n')) {
    let m;
    if ((m = line.match(/^ {2}package: "(.*)"$/))) pkg = m[1];
    else if (line === '  service {') service = '?';
    else if (service === '?' && (m = line.match(/^ {4}name: "(.*)"$/))) {
      service = `${pkg}.${m[1]}`;
      services.add(service);
    } else if (line === '  }') service = '';
    else if (service && (m = line.match(/^\s+(get|post|put|patch|delete): "(.*)"$/)))
      routes.push({ service, path: m[2] });
  }
  console.log(`descriptor set: ${services.size} service(s), ${routes.length} http rule(s)`);
  const config = rendered.prod?.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('envoy-config'));
  if (!config) {
    problem('envoy', 'no envoy-config ConfigMap rendered');
  } else {
    const envoy = yaml.load(config.data['envoy.yaml']);
    // The public listener: the one the envoy Service reaches.
    const hcm = listenersBehind(rendered.prod, envoy, 'envoy', problem).listeners
      .flatMap((l) => l.filter_chains).flatMap((c) => c.filters)
      .find((f) => f.name === 'envoy.filters.network.http_connection_manager')?.typed_config;
    const transcoder = hcm?.http_filters.find((f) => f.name === 'envoy.filters.http.grpc_json_transcoder')?.typed_config;
    if (!transcoder) problem('envoy', 'no grpc_json_transcoder filter');
    for (const name of transcoder?.services ?? [])
      if (!services.has(name)) problem('envoy', `the transcoder names ${name}, which the descriptor set lacks`);
    if (transcoder?.request_validation_options?.reject_unknown_method !== true)
      problem('envoy', 'the transcoder does not reject unknown methods');
    if (!(transcoder?.max_request_body_size <= 1048576)) problem('envoy', 'no request body limit of 1 MiB or less');
    // The transcoder rewrites the path to /<service>/<method>; without this
    // it re-matches routes on that path, and no route (rightly) takes it.
    if (transcoder?.match_incoming_request_route !== true)
      problem('envoy', 'the transcoder re-routes on the gRPC path (match_incoming_request_route is not true)');
    const routeConfig = hcm?.route_config;
    for (const header of ['x-tenant-id', 'x-adcp-tenant-host', 'x-internal-token'])
      if (!(routeConfig?.request_headers_to_remove ?? []).includes(header))
        problem('envoy', `a client-sent ${header} is not stripped`);
    const table = (routeConfig?.virtual_hosts ?? []).flatMap((v) => v.routes);
    // Route-level additions lose to route-table removals unless the most
    // specific mutation wins.
    for (const route of table)
      for (const { header } of route.request_headers_to_add ?? [])
        if ((routeConfig?.request_headers_to_remove ?? []).includes(header.key) &&
            hcm?.most_specific_header_mutations_wins !== true)
          problem('envoy', `${JSON.stringify(route.match)} adds ${header.key}, which the route table then removes`);
    const clusters = new Set(envoy.static_resources.clusters.map((c) => c.name));
    for (const route of table)
      if (!route.direct_response && !clusters.has(route.route?.cluster))
        problem('envoy', `route ${JSON.stringify(route.match)} names no cluster`);
    const transcoded = new Set(transcoder?.services ?? []);
    for (const { service, path: p } of routes) {
      if (!transcoded.has(service)) continue;
      const route = firstRoute(table, p);
      const off = route?.typed_per_filter_config?.['envoy.filters.http.grpc_json_transcoder']?.disabled;
      if (!route) problem('envoy', `${p} matches no route`);
      else if (route.route?.cluster !== 'media_buy') problem('envoy', `${p} goes to ${route.route?.cluster ?? 'a direct response'}, not media_buy`);
      else if (off) problem('envoy', `${p} reaches a route with the transcoder disabled`);
      else {
        const host = (route.request_headers_to_add ?? []).find((h) => h.header.key === 'x-adcp-tenant-host');
        if (host?.header.value !== '%REQ(:AUTHORITY)%') problem('envoy', `${p}: the Host is not forwarded as x-adcp-tenant-host`);
        if (route.route.host_rewrite_literal || route.route.auto_host_rewrite)
          problem('envoy', `${p}: the Host is rewritten`);
      }
    }
    for (const [prefix, cluster] of [['/mcp', 'agent_edge'], ['/tenants/nytimes/mcp', 'agent_edge']]) {
      const route = firstRoute(table, prefix);
      if (route?.route?.cluster !== cluster) problem('envoy', `${prefix} does not reach ${cluster}`);
      else if (!route.typed_per_filter_config?.['envoy.filters.http.grpc_json_transcoder']?.disabled)
        problem('envoy', `${prefix}: the transcoder (reject_unknown_method) would refuse it`);
    }
    console.log(`envoy: ${table.length} routes checked against ${routes.length} http rules`);
    checkEnvoy(rendered.prod, envoy, problem);
    // The admin Service's exposure and the NetworkPolicies, in the base
    // (closed by default) and in each overlay.
    const base = render('base');
    for (const [label, objects] of [['base', base], ...Object.entries(rendered)])
      if (objects) checkExposure(label, objects, envoy, problem);
    console.log('envoy: the admin plane checked (listeners, RBAC, Services, NetworkPolicies)');
  }
}

// ---------------------------------------------------- 4. image packages --
// The Debian package of each shared library, from one `dpkg -S` call over
// every spelling of its path (merged /usr: /lib and /usr/lib).
const spellings = (file) => {
  const out = new Set([file, realpathSync(file)]);
  for (const f of [...out]) out.add(f.startsWith('/usr/') ? f.slice(4) : `/usr${f}`);
  return [...out];
};
function packagesOf(files) {
  const all = [...new Set(files.flatMap(spellings))];
  const owners = new Map();
  const result = spawnSync('dpkg', ['-S', ...all], { encoding: 'utf8', maxBuffer: 16 << 20 });
  for (const line of (result.stdout ?? '').split('\n')) {
    const m = line.match(/^([^:,\s]+)(?::[^:\s]+)?(?:, [^:]+)*: (\/.*)$/);
    if (m) owners.set(m[2], m[1]);
  }
  return new Map(files.map((f) => [f, spellings(f).map((s) => owners.get(s)).find(Boolean) ?? null]));
}
const images = path.join(k8s, 'images');
for (const name of readdirSync(images)) {
  const file = path.join(images, name, 'Dockerfile');
  if (!existsSync(file)) continue;
  const text = readFileSync(file, 'utf8');
  for (const from of text.matchAll(/^FROM\s+(\S+)/gm)) {
    if (from[1].startsWith('$')) continue;
    const image = imageProblem(from[1]);
    if (image) problem(`images/${name}`, `FROM ${from[1]} ${image}`);
  }
  const copy = text.match(/^COPY --from=build \/build\/(\S+) \/usr\/local\/bin\//m);
  if (!copy) continue;  // no binary of ours (builder, envoy)
  if (!/^USER\s+(?!0\b|root\b)/m.test(text)) problem(`images/${name}`, 'does not switch to a non-root USER');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const install = runtime.match(/apt-get install -y --no-install-recommends([\s\S]*?)&&/);
  const listed = new Set((install?.[1] ?? '').split(/[\s\\]+/).filter(Boolean));
  const binary = path.join(buildDir, copy[1]);
  if (!existsSync(binary)) {
    problem(`images/${name}`, `${binary} is not built`);
    continue;
  }
  const libraries = execFileSync('ldd', [binary], { encoding: 'utf8' }).split('\n')
    .map((line) => line.match(/=>\s+(\/\S+)/)?.[1]).filter(Boolean);
  const needed = new Set();
  for (const [library, pkg] of packagesOf(libraries)) {
    if (!pkg) problem(`images/${name}`, `${library} belongs to no Debian package`);
    else needed.add(pkg);
  }
  const uncovered = [...needed].filter((p) => !listed.has(p.replace(/:.*$/, '')));
  if (uncovered.length) problem(`images/${name}`, `runtime packages lack ${uncovered.join(' ')}`);
  console.log(`images/${name}: ${needed.size} runtime packages needed, all listed: ${uncovered.length === 0}`);
}

if (problems.length) {
  console.error(`\n${problems.length} problem(s):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log('deploy/k8s: every check passed');
