/**
 * Lab add-ons, started on top of a running lab by `lab up --addons NAME`. `flagger` runs Flagger
 * as its users do, out of cluster: Prometheus (Debian's package) scraping Traefik, Traefik
 * (kubernetescrd and kubernetesgateway providers, routing to pod IPs from EndpointSlices) as the
 * L7 router Flagger's weighted providers drive, and Flagger itself with a kubeconfig. All three
 * live in one network namespace on the lab bridge (no uplink: nothing they listen on is reachable
 * from off the machine). Their CRDs come from the Go modules they were built from, staged in the
 * cache by scripts/tools/build-{flagger,traefik}.sh. Like `lab up`, every step checks before it
 * acts, so it is idempotent; `lab down` removes them with the rest (pidfiles, namespace, state).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLAGGER_ADDON as A, nodeSpecs, type AddonName, type LabPaths } from '../../config.ts';
import { kubeconfigFor, pkiDir } from './controlplane.ts';
import { kubectl, nodes } from './kubectl.ts';
import { ensureNetns, podRoutes } from './net.ts';
import { writeKubeconfig } from './pki.ts';
import { daemons, startDaemon, waitFor, type Daemon } from './sh.ts';

const PROMETHEUS = '/usr/bin/prometheus';

export const crdsDir = (p: LabPaths): string => join(p.cache, 'crds');
const gatewayApiVersion = (p: LabPaths): string | undefined => {
  try {
    return readFileSync(join(crdsDir(p), '.gateway-api.version'), 'utf8').trim();
  } catch {
    return undefined;
  }
};

/** CRD files the add-on applies, in order. */
export function flaggerCrdFiles(p: LabPaths): string[] {
  const gw = gatewayApiVersion(p) ?? 'unknown';
  return [`flagger-${A.versions.flagger}.yaml`, `traefik-${A.versions.traefik}.yaml`, `gateway-api-${gw}.yaml`].map((f) => join(crdsDir(p), f));
}

/** What `scripts/tools/install-lab.sh` must have built before the add-on can start. */
export function missingAddonTools(p: LabPaths, name: AddonName): string[] {
  if (name !== 'flagger') return [];
  const missing: string[] = [];
  for (const t of ['flagger', 'traefik']) if (!existsSync(join(p.bin, t))) missing.push(t);
  if (!existsSync(PROMETHEUS)) missing.push('prometheus (Debian package)');
  for (const f of flaggerCrdFiles(p)) if (!existsSync(f)) missing.push(f);
  return missing;
}

export const addonState = (p: LabPaths): string => join(p.state, 'addons', 'flagger');

export function prometheusConfig(): string {
  return `# Written by gauntlet lab up --addons flagger.
global:
  scrape_interval: ${A.scrapeSeconds}s
  evaluation_interval: ${A.scrapeSeconds}s
scrape_configs:
- job_name: traefik
  static_configs:
  - targets: ['127.0.0.1:${A.metricsPort}']
`;
}

export function flaggerDaemons(p: LabPaths): Daemon[] {
  const s = addonState(p);
  return [
    {
      name: 'addon-prometheus', netns: A.netns, cmd: PROMETHEUS,
      args: [`--config.file=${join(s, 'prometheus.yml')}`, `--storage.tsdb.path=${join(s, 'prometheus')}`,
        `--web.listen-address=0.0.0.0:${A.prometheusPort}`, '--storage.tsdb.retention.time=12h', '--log.level=warn'],
    },
    {
      name: 'addon-traefik', netns: A.netns, cmd: join(p.bin, 'traefik'),
      // Out of cluster, Traefik reads KUBECONFIG (it has no flag for it).
      env: { KUBECONFIG: kubeconfigFor(p, 'traefik'), KUBERNETES_SERVICE_HOST: '' },
      args: [
        `--entryPoints.web.address=:${A.webPort}`, `--entryPoints.metrics.address=:${A.metricsPort}`,
        '--providers.kubernetescrd=true', '--providers.kubernetescrd.allowEmptyServices=true',
        '--providers.kubernetesgateway=true',
        '--metrics.prometheus=true', '--metrics.prometheus.entryPoint=metrics',
        '--metrics.prometheus.addServicesLabels=true', '--metrics.prometheus.addRoutersLabels=true',
        '--ping=true', '--ping.entryPoint=metrics', '--log.level=INFO', '--global.checkNewVersion=false', '--global.sendAnonymousUsage=false',
      ],
    },
    {
      name: 'addon-flagger', netns: A.netns, cmd: join(p.bin, 'flagger'),
      args: [`-kubeconfig=${kubeconfigFor(p, 'flagger')}`, '-mesh-provider=traefik', `-metrics-server=http://127.0.0.1:${A.prometheusPort}`,
        `-port=${A.flaggerPort}`, '-log-level=info', '-enable-leader-election=false', '-enable-config-tracking=false'],
    },
  ];
}

/** A GatewayClass Traefik serves and one shared Gateway whose listener matches the web entry point. */
export function gatewayManifests(): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${A.gatewayNamespace}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: ${A.gatewayClass}}
spec: {controllerName: traefik.io/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${A.gatewayName}, namespace: ${A.gatewayNamespace}}
spec:
  gatewayClassName: ${A.gatewayClass}
  listeners:
  - name: web
    protocol: HTTP
    port: ${A.webPort}
    allowedRoutes: {namespaces: {from: All}}
`;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

export const addonUrls = {
  traefikPing: `http://${A.ip}:${A.metricsPort}/ping`,
  prometheusReady: `http://${A.ip}:${A.prometheusPort}/-/ready`,
  flaggerHealth: `http://${A.ip}:${A.flaggerPort}/healthz`,
};

export async function flaggerAddonUp(p: LabPaths, log: (l: string) => void): Promise<void> {
  log('add-on flagger: network namespace, kubeconfigs');
  await ensureNetns(A.netns, A.ip, A.hostIf);
  // Traefik sends to pod IPs: route every node's pod subnet through that node, as the host does.
  const ns = await nodes(p);
  const routes = nodeSpecs(ns.filter((n) => n.labels['gauntlet.dev/lab'] === 'true').length)
    .map((s) => ({ cidr: ns.find((n) => n.name === s.name)?.podCidr, via: s.ip }))
    .filter((r): r is { cidr: string; via: string } => r.cidr !== undefined);
  await podRoutes(A.netns, routes);
  for (const name of ['flagger', 'traefik']) {
    await writeKubeconfig(pkiDir(p), { name, cn: `gauntlet:${name}`, org: 'system:masters' }, kubeconfigFor(p, name));
  }

  log('add-on flagger: CRDs (Flagger, Traefik, Gateway API) from their Go modules');
  for (const f of flaggerCrdFiles(p)) await kubectl(p, ['apply', '--server-side', '--force-conflicts', '-f', f]);
  await kubectl(p, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/canaries.flagger.app', 'crd/traefikservices.traefik.io', 'crd/httproutes.gateway.networking.k8s.io']);
  await kubectl(p, ['apply', '-f', '-'], gatewayManifests());

  const s = addonState(p);
  mkdirSync(join(s, 'prometheus'), { recursive: true });
  writeFileSync(join(s, 'prometheus.yml'), prometheusConfig());
  const running = new Set(daemons(p.state).filter((d) => d.alive).map((d) => d.name));
  for (const d of flaggerDaemons(p)) {
    if (running.has(d.name)) continue;
    log(`add-on flagger: start ${d.name.slice('addon-'.length)}`);
    startDaemon(p.state, d);
  }
  await waitFor('Traefik /ping', () => httpOk(addonUrls.traefikPing), 60_000, 500);
  await waitFor('Prometheus /-/ready', () => httpOk(addonUrls.prometheusReady), 60_000, 500);
  await waitFor('Flagger /healthz', () => httpOk(addonUrls.flaggerHealth), 60_000, 500);
}

export interface AddonStatus {
  name: AddonName;
  versions: Record<string, string>;
  router: string;
  prometheus: string;
  healthy: Record<string, boolean>;
}

export async function flaggerAddonStatus(): Promise<AddonStatus> {
  const [traefik, prometheus, flagger] = await Promise.all([httpOk(addonUrls.traefikPing), httpOk(addonUrls.prometheusReady), httpOk(addonUrls.flaggerHealth)]);
  return {
    name: 'flagger',
    versions: { ...A.versions, prometheus: 'Debian package' },
    router: `http://${A.ip}:${A.webPort}`,
    prometheus: `http://${A.ip}:${A.prometheusPort}`,
    healthy: { traefik, prometheus, flagger },
  };
}
