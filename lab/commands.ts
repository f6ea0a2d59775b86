/** The lab's commands: pick a provider, check the machine, delegate. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError, UsageError } from '../core/errors.ts';
import { ADDON_NAMES, ENFORCERS, labPaths, nodeSpecs, type AddonName, type Enforcer, type LabPaths } from './config.ts';
import { missingAddonTools } from './providers/local/addons.ts';
import { KIND, kindNodes, kindPaths } from './providers/kind/config.ts';
import { tryRun } from './providers/local/sh.ts';
import { chooseProvider as decide, type Engine, type Provider, type ProviderChoice } from './provider-choice.ts';
import { kindContainerKill, kindNodeRunning, kindNodeStart, kindNodeStop, kindStatus } from './providers/kind/status.ts';
import { kindDown, kindUp, readKindSpec } from './providers/kind/up.ts';
import { localDown } from './providers/local/down.ts';
import { killContainer, nodeRunning, startNodeAgain, stopNode } from './providers/local/node-control.ts';
import { localStatus, type LabStatus } from './providers/local/status.ts';
import { localUp, missingTools, readSpec } from './providers/local/up.ts';

export type { Provider } from './provider-choice.ts';

export interface LabUpOptions {
  provider?: Provider;
  /** Real worker nodes (at least 1; the lab's tests expect 3). */
  nodes?: number;
  /** KWOK-simulated nodes on top of the real ones. */
  fakeNodes?: number;
  /** NetworkPolicy enforcer (local provider): `netpol` (default) or `kube-router` (lab only). */
  enforcer?: Enforcer;
  /** Add-ons on top of the cluster (`flagger`: Flagger, Traefik and Prometheus as host processes). */
  addons?: AddonName[];
  paths?: LabPaths;
  log?: (line: string) => void;
}

export interface LabUpResult {
  provider: Provider;
  kubeconfig: string;
  nodes: number;
  fakeNodes: number;
  /** The kind provider runs the lab's own enforcer (netpol) as a DaemonSet on every node. */
  enforcer: Enforcer;
  addons: AddonName[];
  seconds: number;
}

export interface LabDownResult {
  provider: Provider;
  stoppedProcesses: number;
  unmounted: number;
  leftovers: string[];
}

export interface LabEnvResult {
  /** False when the lab is down (no kubeconfig to point at): `shell` is then empty. */
  up: boolean;
  kubeconfig: string;
  /** A line for `eval "$(gauntlet lab env)"`. */
  shell: string;
}

export function labKubeconfigPath(paths?: LabPaths): string {
  return (paths ?? labPaths()).kubeconfig;
}

/** Without --provider: the lab that is up, else kind where it is installed and podman answers (provider-choice.ts). */
export async function whichProvider(p?: Provider, paths?: LabPaths, localOnlyOption?: string): Promise<ProviderChoice> {
  const lp = paths ?? labPaths();
  return decide(p, {
    ...(localOnlyOption === undefined ? {} : { localOnlyOption }),
    localUp: readSpec(lp) !== undefined,
    kindUp: readKindSpec(kindPaths(lp)) !== undefined,
    engines: async () => {
      const found: Engine[] = [];
      if (await tryRun('timeout', ['10', 'podman', 'info', '--format', '{{.Host.OCIRuntime.Name}}'])) found.push('podman');
      if (await tryRun('timeout', ['10', 'docker', 'info', '--format', '{{.ServerVersion}}'])) found.push('docker');
      return found;
    },
    kindInstalled: async () => existsSync(join(lp.bin, 'kind')) && (await tryRun('podman', ['image', 'exists', KIND.nodeImage])),
  });
}

async function chooseProvider(p?: Provider, paths?: LabPaths): Promise<Provider> {
  return (await whichProvider(p, paths)).provider;
}

export async function labUp(opts: LabUpOptions = {}): Promise<LabUpResult> {
  const started = Date.now();
  const paths = opts.paths ?? labPaths();
  const nodes = opts.nodes ?? 3;
  const fakeNodes = opts.fakeNodes ?? 0;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) throw new UsageError(`--nodes must be 1..9, got ${nodes}`);
  if (!Number.isInteger(fakeNodes) || fakeNodes < 0 || fakeNodes > 60) throw new UsageError(`--fake-nodes must be 0..60, got ${fakeNodes}`);
  const enforcer = opts.enforcer ?? 'netpol';
  if (!ENFORCERS.includes(enforcer)) throw new UsageError(`--enforcer must be one of ${ENFORCERS.join(', ')}, got ${enforcer}`);
  const addons = opts.addons ?? [];
  for (const a of addons) if (!ADDON_NAMES.includes(a)) throw new UsageError(`--addons: unknown add-on ${a} (known: ${ADDON_NAMES.join(', ')})`);
  const localOnly = addons.length > 0 ? '--addons' : fakeNodes > 0 ? '--fake-nodes' : opts.enforcer !== undefined && opts.enforcer !== 'netpol' ? `--enforcer ${opts.enforcer}` : undefined;
  const choice = await whichProvider(opts.provider, paths, localOnly);
  const provider = choice.provider;
  if (opts.provider === undefined) opts.log?.(`provider ${provider}: ${choice.why}`);
  if (provider === 'kind' && addons.length > 0) throw new UsageError('--addons needs the local provider');
  if (provider === 'kind' && fakeNodes > 0) throw new UsageError('--fake-nodes needs the local provider');
  if (provider === 'kind') {
    if (opts.enforcer && opts.enforcer !== 'netpol') throw new UsageError('--enforcer kube-router applies to the local provider only');
    const kp = kindPaths(paths);
    const existing = readKindSpec(kp);
    if (existing !== undefined && existing.nodes !== nodes) {
      throw new UsageError(`the kind lab is up with ${existing.nodes} nodes, not ${nodes}`, { hint: 'run `gauntlet lab down --provider kind` first' });
    }
    try {
      await kindUp({ nodes, paths: kp, log: opts.log });
    } catch (e) {
      if (e instanceof InfraError || e instanceof UsageError) throw e;
      throw new InfraError(`lab up --provider kind failed: ${(e as Error).message}`, { hint: '`gauntlet lab down --provider kind` cleans up', cause: e });
    }
    return { provider, kubeconfig: kp.kubeconfig, nodes, fakeNodes: 0, enforcer: 'netpol', addons: [], seconds: (Date.now() - started) / 1000 };
  } else {
    if (process.getuid?.() !== 0) throw new InfraError('the local lab needs root (network namespaces, cgroups, mounts)');
    const missing = [...missingTools(paths, enforcer), ...addons.flatMap((a) => missingAddonTools(paths, a))];
    if (missing.length > 0) {
      const addonMissing = addons.flatMap((a) => missingAddonTools(paths, a));
      const hint = missing.includes('kube-router')
        ? 'run scripts/tools/build-kube-router.sh'
        : addonMissing.length > 0 && addonMissing.length === missing.length
          ? 'run scripts/tools/install-addons.sh (Flagger, Traefik, Prometheus)'
          : 'run scripts/tools/install-lab.sh';
      throw new InfraError(`lab tools are missing: ${missing.join(', ')}`, { hint });
    }
    const existing = readSpec(paths);
    if (existing !== undefined && existing.nodes !== nodes) {
      throw new UsageError(`the lab is up with ${existing.nodes} nodes, not ${nodes}`, { hint: 'run `gauntlet lab down` first' });
    }
    // One enforcer per lab: two would both filter every packet; switching means a fresh lab.
    if (existing !== undefined && (existing.enforcer ?? 'netpol') !== enforcer) {
      throw new UsageError(`the lab is up with enforcer ${existing.enforcer ?? 'netpol'}, not ${enforcer}`, { hint: 'run `gauntlet lab down` first' });
    }
    try {
      await localUp({ nodes, fakeNodes, enforcer, addons, paths, log: opts.log });
    } catch (e) {
      throw new InfraError(`lab up failed: ${(e as Error).message}`, { hint: `logs are in ${paths.state}/logs; \`gauntlet lab down\` cleans up`, cause: e });
    }
  }
  const spec = provider === 'local' ? readSpec(paths) : undefined;
  return { provider, kubeconfig: paths.kubeconfig, nodes, fakeNodes, enforcer, addons: spec?.addons ?? [], seconds: (Date.now() - started) / 1000 };
}

export async function labDown(opts: { provider?: Provider; paths?: LabPaths } = {}): Promise<LabDownResult> {
  const provider = await chooseProvider(opts.provider, opts.paths);
  if (provider === 'kind') return { provider, ...(await kindDown(kindPaths(opts.paths ?? labPaths()))) };
  return { provider, ...(await localDown({ paths: opts.paths })) };
}

export async function labStatus(opts: { provider?: Provider; paths?: LabPaths } = {}): Promise<LabStatus> {
  if ((await chooseProvider(opts.provider, opts.paths)) === 'kind') return kindStatus(kindPaths(opts.paths ?? labPaths()));
  return localStatus(opts);
}

export async function labEnv(opts: { provider?: Provider; paths?: LabPaths } = {}): Promise<LabEnvResult> {
  const paths = opts.paths ?? labPaths();
  const provider = await chooseProvider(opts.provider, paths);
  const kubeconfig = provider === 'kind' ? kindPaths(paths).kubeconfig : paths.kubeconfig;
  const up = (provider === 'kind' ? readKindSpec(kindPaths(paths)) !== undefined : readSpec(paths) !== undefined) && existsSync(kubeconfig);
  return { up, kubeconfig, shell: up ? `export KUBECONFIG=${kubeconfig}` : '' };
}

/**
 * Which lab a Kubernetes node belongs to, by its name: a local lab node (`lab-node-N`) of the local
 * lab that is up, or a kind worker (`gauntlet-lab-worker`, `-worker2`, ...) of the kind lab that is
 * up. The names never overlap, so with both labs up each node has one owner. The kind control
 * plane is no lab node: stopping it would stop the API server, not lose a node.
 */
export function labNodeProvider(node: string, paths?: LabPaths): Provider | undefined {
  const lp = paths ?? labPaths();
  const local = readSpec(lp);
  if (local !== undefined && nodeSpecs(local.nodes).some((n) => n.name === node)) return 'local';
  const k = readKindSpec(kindPaths(lp));
  if (k !== undefined && kindNodes(k.nodes).some((n) => n.role === 'worker' && n.container === node)) return 'kind';
  return undefined;
}

/** Whether a lab node runs (local: its kubelet; kind: its container); false for a node of no lab. */
export async function labNodeRunning(node: string, paths?: LabPaths): Promise<boolean> {
  const provider = labNodeProvider(node, paths);
  if (provider === 'local') return nodeRunning(node, paths);
  if (provider === 'kind') return kindNodeRunning(node);
  return false;
}

export async function labNodeStop(opts: { node: string; provider?: Provider; paths?: LabPaths }): Promise<void> {
  if ((await chooseProvider(opts.provider ?? labNodeProvider(opts.node, opts.paths), opts.paths)) === 'kind') return kindNodeStop(kindPaths(opts.paths ?? labPaths()), opts.node);
  await stopNode(opts.node, opts.paths);
}

/**
 * Kill one container of a lab node from outside its PID namespace (local: from the host, see
 * node-control.ts; kind: from the node container's namespace, its parent); the kubelet restarts it.
 */
export async function labContainerKill(opts: { node: string; containerId: string; signal?: NodeJS.Signals; paths?: LabPaths }): Promise<{ pid: number } | 'gone'> {
  if (labNodeProvider(opts.node, opts.paths) === 'kind') return kindContainerKill(opts.node, opts.containerId, opts.signal);
  return killContainer(opts.node, opts.containerId, opts.signal, opts.paths);
}

/** Start a stopped node; `waitMs` (> 0) waits until the API server reports it Ready. */
export async function labNodeStart(opts: { node: string; provider?: Provider; paths?: LabPaths; waitMs?: number }): Promise<{ readyAfterMs?: number }> {
  if ((await chooseProvider(opts.provider ?? labNodeProvider(opts.node, opts.paths), opts.paths)) === 'kind') return kindNodeStart(kindPaths(opts.paths ?? labPaths()), opts.node, opts.waitMs ?? 0);
  return startNodeAgain(opts.node, opts.paths, opts.waitMs ?? 0);
}
