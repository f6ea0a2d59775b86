/**
 * The one Kubernetes adapter. Everything Gauntlet does to a cluster goes through here:
 * kubectl's kubeconfig precedence, an object-parameter API, retries with backoff on 429/5xx and
 * timeouts, watches that resume from their resourceVersion, and errors that say which verb on
 * which resource failed and why.
 */
import {
  ApiException,
  CoreV1Api,
  Exec,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
  Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { delimiter, join, resolve } from 'node:path';
import { InfraError, UsageError } from './errors.ts';
import type { GauntletOptions } from './options.ts';
import { sleep } from './proc.ts';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ListQuery {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type WatchEvent<T> = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T };

export interface Kube {
  context: string;
  server: string;
  /** The kubeconfig file(s) the context came from, absolute, joined like $KUBECONFIG. */
  kubeconfig: string;
  namespace: string;
  config: KubeConfig;
  get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubernetesObject>(q: ListQuery): Promise<{ items: T[]; resourceVersion: string }>;
  create<T extends KubernetesObject>(obj: T): Promise<T>;
  patch<T extends KubernetesObject>(obj: T, how?: 'merge' | 'strategic' | 'json'): Promise<T>;
  /** Server-side apply as field manager `gauntlet` (creates or updates). */
  apply<T extends KubernetesObject>(obj: T): Promise<T>;
  /** 'absent' when it was already gone (deleting twice is safe). */
  delete(ref: ObjectRef, opts?: { gracePeriodSeconds?: number }): Promise<'deleted' | 'absent'>;
  /** Evict through the Eviction API; 'blocked' when a PodDisruptionBudget forbids it (HTTP 429). */
  evict(pod: { name: string; namespace: string }): Promise<'evicted' | 'blocked' | 'absent'>;
  /** The API server's version, e.g. v1.34.4. */
  serverVersion(): Promise<string>;
  /** A container's log ('' when the pod or container is gone). */
  logs(pod: { name: string; namespace: string; container?: string }): Promise<string>;
  /**
   * Run a command in a container (no shell, no stdin, no tty), bounded by `timeoutMs`. `code` is
   * the command's exit code (the API's status), stdout/stderr its output (capped at 64 KiB each).
   */
  exec(pod: { name: string; namespace: string; container: string }, command: string[], opts?: { timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Watch until the signal aborts; resumes after drops, re-lists after 410 Gone. */
  watch<T extends KubernetesObject>(q: ListQuery, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal, opts?: { timeoutSeconds?: number }): Promise<void>;
}

/** kubectl's precedence: --kubeconfig, then $KUBECONFIG (merged, first wins), then ~/.kube/config. */
export function kubeconfigFiles(o: Pick<GauntletOptions, 'kubeconfig' | 'kubeconfigEnv' | 'env'>): string[] {
  const files = o.kubeconfig
    ? [o.kubeconfig]
    : o.kubeconfigEnv
      ? o.kubeconfigEnv.split(delimiter).filter(Boolean)
      : [join(o.env.HOME ?? '', '.kube', 'config')];
  return files.filter((f) => existsSync(f)).map((f) => resolve(f));
}

export function loadKubeConfig(o: Pick<GauntletOptions, 'kubeconfig' | 'kubeconfigEnv' | 'env'>): KubeConfig {
  const kc = new KubeConfig();
  const files = o.kubeconfig
    ? [o.kubeconfig]
    : o.kubeconfigEnv
      ? o.kubeconfigEnv.split(delimiter).filter(Boolean)
      : [join(o.env.HOME ?? '', '.kube', 'config')];
  const present = files.filter((f) => existsSync(f));
  if (o.kubeconfig && present.length === 0) throw new UsageError(`--kubeconfig ${o.kubeconfig}: file not found`);
  if (present.length === 0) {
    throw new InfraError(`no kubeconfig found (looked at ${files.join(', ')})`, { hint: 'pass --kubeconfig or set KUBECONFIG; for the local lab: gauntlet lab up && eval "$(gauntlet lab env)"' });
  }
  kc.loadFromFile(present[0]!);
  if (present.length === 1) return kc;
  // kubectl merges $KUBECONFIG files with the first definition of each name winning.
  const clusters = [...kc.clusters];
  const users = [...kc.users];
  const contexts = [...kc.contexts];
  let current = kc.getCurrentContext();
  for (const f of present.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(f);
    for (const c of more.clusters) if (!clusters.some((x) => x.name === c.name)) clusters.push(c);
    for (const u of more.users) if (!users.some((x) => x.name === u.name)) users.push(u);
    for (const c of more.contexts) if (!contexts.some((x) => x.name === c.name)) contexts.push(c);
    current ||= more.getCurrentContext();
  }
  const merged = new KubeConfig();
  merged.loadFromOptions({ clusters, users, contexts, currentContext: current });
  return merged;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

function netCode(e: unknown): string | undefined {
  let cur = e as { code?: string; cause?: unknown } | undefined;
  for (let i = 0; cur && i < 5; i++) {
    if (cur.code && NET_CODES.has(cur.code)) return cur.code;
    cur = cur.cause as typeof cur;
  }
  return undefined;
}

function statusMessage(e: ApiException<unknown>): string {
  const body = e.body as { message?: string } | string | undefined;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return body?.message ?? e.message;
}

export interface CallInfo {
  verb: string;
  resource: string;
  namespace?: string;
}

/** Retry transient failures with capped exponential backoff, then explain the failure. */
export async function withRetry<T>(info: CallInfo, server: string, fn: () => Promise<T>, attempts = 5): Promise<T> {
  let delay = 200;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const code = e instanceof ApiException ? e.code : undefined;
      const net = netCode(e);
      const transient = (code !== undefined && RETRYABLE.has(code)) || net !== undefined;
      if (transient && i < attempts) {
        await sleep(delay + Math.random() * delay * 0.2);
        delay = Math.min(delay * 2, 5000);
        continue;
      }
      throw explain(e, info, server);
    }
  }
}

function explain(e: unknown, info: CallInfo, server: string): unknown {
  const where = `${info.resource}${info.namespace ? ` in namespace ${info.namespace}` : ''}`;
  const net = netCode(e);
  if (net) return new InfraError(`cluster unreachable at ${server} (${net}) while trying to ${info.verb} ${where}`, { hint: 'check the context (--context), or start the local lab: gauntlet lab up', cause: e });
  // fetch's own failures ("fetch failed": a refused port, a bad address, "bad port"), also when the
  // client rewrote the message ("Failed to fetch resource metadata ...: fetch failed"): the cause is one level down.
  if (!(e instanceof ApiException) && /fetch failed/.test(String((e as Error)?.message))) {
    const why = String(((e as Error).cause as Error | undefined)?.message ?? 'fetch failed');
    return new InfraError(`cluster unreachable at ${server} (${why}) while trying to ${info.verb} ${where}`, { hint: 'check the server in the kubeconfig and the context (--context), or start the local lab: gauntlet lab up', cause: e });
  }
  if (e instanceof ApiException) {
    // Pod Security admission also answers 403; it is not a missing permission.
    if (e.code === 403 && /violates PodSecurity/.test(statusMessage(e))) {
      return new InfraError(`admission denied ${info.verb} on ${where}: ${statusMessage(e)}`, { hint: 'the namespace\'s pod-security.kubernetes.io/enforce level rejects this pod', cause: e });
    }
    if (e.code === 403) return new InfraError(`RBAC denies ${info.verb} on ${where}: ${statusMessage(e)}`, { hint: `grant the verb "${info.verb}" on ${info.resource} to your user`, cause: e });
    if (e.code === 401) return new InfraError(`unauthorized at ${server}: credentials rejected`, { hint: 'refresh your kubeconfig credentials', cause: e });
    return new InfraError(`${info.verb} ${where} failed (HTTP ${e.code}): ${statusMessage(e)}`, { cause: e });
  }
  return e;
}

function resourceOf(kind: string): string {
  if (kind.includes('/')) return kind;
  const k = kind.toLowerCase();
  return k.endsWith('y') ? `${k.slice(0, -1)}ies` : k.endsWith('s') ? `${k}es` : `${k}s`;
}

/** Where a command will act: the one resolution of kubeconfig and context every command uses. */
export interface KubeTarget {
  /** The kubeconfig file(s) read, in kubectl's precedence. */
  kubeconfig: string[];
  context: string;
  server: string;
  namespace: string;
  /** Every context the kubeconfig holds (for messages). */
  contexts: string[];
}

type TargetOptions = Pick<GauntletOptions, 'kubeconfig' | 'kubeconfigEnv' | 'env' | 'context' | 'namespace'>;

function select(o: TargetOptions): { kc: KubeConfig; target: KubeTarget } {
  const kc = loadKubeConfig(o);
  const contexts = kc.getContexts().map((c) => c.name);
  const files = kubeconfigFiles(o);
  if (o.context) {
    if (!contexts.includes(o.context)) {
      throw new UsageError(`context "${o.context}" not found in kubeconfig (have: ${contexts.join(', ') || 'none'})`, {
        hint: `read ${files.join(', ')}; ${contexts.length ? `pass one of its contexts, e.g. --context ${contexts[0]}` : 'add the context to it, or pass --kubeconfig'}`,
      });
    }
    kc.setCurrentContext(o.context);
  }
  const ctx = kc.getContextObject(kc.getCurrentContext());
  if (!ctx) throw new UsageError(`kubeconfig ${files.join(', ')} has no current-context`, { hint: `pass --context (have: ${contexts.join(', ') || 'none'})` });
  const server = kc.getCurrentCluster()?.server ?? '(unknown server)';
  return { kc, target: { kubeconfig: files, context: kc.getCurrentContext(), server, namespace: o.namespace ?? ctx.namespace ?? 'default', contexts } };
}

/**
 * Resolve kubeconfig and context as kubectl does (--kubeconfig, else $KUBECONFIG, else
 * ~/.kube/config; --context, else current-context) without connecting. An unknown context is a
 * usage error naming the contexts the kubeconfig has.
 */
export function resolveKubeTarget(o: TargetOptions): KubeTarget {
  return select(o).target;
}

/** Connect to the cluster in the resolved context; fails fast if the context does not exist. */
export function connect(o: TargetOptions): Kube {
  const { kc, target } = select(o);
  const { server, namespace } = target;
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = (x?: string) => x ?? namespace;
  const call = <T>(verb: string, kind: string, namespace: string | undefined, fn: () => Promise<T>) =>
    withRetry({ verb, resource: resourceOf(kind), namespace }, server, fn);

  const kube: Kube = {
    context: kc.getCurrentContext(),
    server,
    kubeconfig: kubeconfigFiles(o).join(delimiter),
    namespace,
    config: kc,
    async get(ref) {
      try {
        const header = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
        return (await call('get', ref.kind, ref.namespace, () => objects.read(header))) as Awaited<ReturnType<Kube['get']>> as never;
      } catch (e) {
        if (e instanceof InfraError && e.cause instanceof ApiException && e.cause.code === 404) return undefined;
        throw e;
      }
    },
    async list(q) {
      const items: any[] = [];
      let cont: string | undefined;
      let rv = '';
      do {
        const page = await call('list', q.kind, q.namespace, () =>
          objects.list(q.apiVersion, q.kind, q.namespace, undefined, undefined, undefined, q.fieldSelector, q.labelSelector, 500, cont),
        );
        items.push(...page.items);
        cont = page.metadata?._continue || undefined;
        rv = page.metadata?.resourceVersion ?? rv;
      } while (cont);
      return { items, resourceVersion: rv };
    },
    create: (obj) => call('create', obj.kind!, obj.metadata?.namespace, () => objects.create({ ...obj, metadata: { ...obj.metadata, namespace: obj.metadata?.namespace } })),
    patch: (obj, how = 'merge') =>
      call('patch', obj.kind!, obj.metadata?.namespace, () =>
        objects.patch(obj, undefined, undefined, 'gauntlet', undefined, how === 'merge' ? PatchStrategy.MergePatch : how === 'json' ? PatchStrategy.JsonPatch : PatchStrategy.StrategicMergePatch),
      ),
    apply: (obj) =>
      call('apply', obj.kind!, obj.metadata?.namespace, () => objects.patch(obj, undefined, undefined, 'gauntlet', true, PatchStrategy.ServerSideApply)),
    async delete(ref, opts = {}) {
      try {
        await call('delete', ref.kind, ref.namespace, () =>
          objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }, undefined, undefined, opts.gracePeriodSeconds),
        );
        return 'deleted';
      } catch (e) {
        if (e instanceof InfraError && e.cause instanceof ApiException && e.cause.code === 404) return 'absent';
        throw e;
      }
    },
    async evict(pod) {
      try {
        // 429 here means "a PDB forbids it", not "slow down": do not retry it as transient.
        await core.createNamespacedPodEviction({ name: pod.name, namespace: pod.namespace, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.name, namespace: pod.namespace } } });
        return 'evicted';
      } catch (e) {
        if (e instanceof ApiException && e.code === 429) return 'blocked';
        if (e instanceof ApiException && e.code === 404) return 'absent';
        throw explain(e, { verb: 'create', resource: 'pods/eviction', namespace: pod.namespace }, server);
      }
    },
    async serverVersion() {
      const v = await withRetry({ verb: 'get', resource: 'version' }, server, () => kc.makeApiClient(VersionApi).getCode());
      return v.gitVersion;
    },
    async logs(pod) {
      try {
        return await call('get', 'pods/log', pod.namespace, () => core.readNamespacedPodLog({ name: pod.name, namespace: pod.namespace, container: pod.container }));
      } catch (e) {
        if (e instanceof InfraError && e.cause instanceof ApiException && (e.cause.code === 404 || e.cause.code === 400)) return '';
        throw e;
      }
    },
    async exec(pod, command, opts = {}) {
      const out = { stdout: '', stderr: '' };
      const sink = (k: 'stdout' | 'stderr') => new Writable({ write(chunk, _enc, cb) { if (out[k].length < 65536) out[k] += String(chunk); cb(); } });
      const where = { verb: 'create', resource: 'pods/exec', namespace: pod.namespace };
      const timeoutMs = opts.timeoutMs ?? 30_000;
      let ws: { close(): void } | undefined;
      const status = await new Promise<{ status?: string; message?: string; details?: { causes?: Array<{ reason?: string; message?: string }> } }>((resolve, reject) => {
        const timer = setTimeout(() => { ws?.close(); reject(new InfraError(`exec in ${pod.namespace}/${pod.name} (${pod.container}) timed out after ${timeoutMs / 1000} s: ${command.join(' ')}`)); }, timeoutMs);
        new Exec(kc)
          .exec(pod.namespace, pod.name, pod.container, command, sink('stdout'), sink('stderr'), null, false, (st) => { clearTimeout(timer); resolve(st as never); })
          .then((w) => {
            ws = w;
            // A socket that closes without a status (older servers) counts as exit 0.
            w.on('close', () => { clearTimeout(timer); resolve({ status: 'Success' }); });
          }, (e) => { clearTimeout(timer); reject(explain(e, where, server)); });
      });
      if (status.status === 'Success') return { code: 0, ...out };
      const exit = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
      if (exit !== undefined) return { code: Number(exit), ...out };
      // No exit code: the command could not start (e.g. not in the image).
      return { code: 126, stdout: out.stdout, stderr: out.stderr + (status.message ?? '') };
    },
    async watch(q, onEvent, signal, opts = {}) {
      const w = new Watch(kc);
      let rv = (await kube.list(q)).resourceVersion;
      const path = watchPath(q.apiVersion, q.kind, q.namespace);
      while (!signal.aborted) {
        const err = await new Promise<unknown>((resolve) => {
          let ctl: AbortController | undefined;
          const onAbort = () => ctl?.abort();
          signal.addEventListener('abort', onAbort, { once: true });
          w.watch(
            path,
            { resourceVersion: rv, allowWatchBookmarks: true, labelSelector: q.labelSelector, fieldSelector: q.fieldSelector, timeoutSeconds: opts.timeoutSeconds },
            (type, obj) => {
              const v = (obj as KubernetesObject).metadata?.resourceVersion;
              if (v) rv = v;
              if (type === 'ERROR') return;
              onEvent({ type: type as WatchEvent<never>['type'], object: obj });
            },
            (e) => {
              signal.removeEventListener('abort', onAbort);
              resolve(e);
            },
          ).then((c) => (ctl = c), resolve);
        });
        if (signal.aborted) return;
        const gone = (err as { code?: number; statusCode?: number } | undefined)?.statusCode === 410 || String(err).includes('410');
        if (gone) rv = (await kube.list(q)).resourceVersion;
        // A clean close (the server's timeout) resumes at once; an error backs off briefly.
        else if (err) await sleep(500, signal);
      }
    },
  };
  return kube;
}

function watchPath(apiVersion: string, kind: string, namespace?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}${namespace ? `/namespaces/${namespace}` : ''}/${resourceOf(kind)}`;
}
