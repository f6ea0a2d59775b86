/** policies check / policies probe: prove that network policies block unapproved egress. */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { ExitCode } from '../../core/errors.ts';
import { defineCommand } from './types.ts';
import { optionsFromArgs } from '../context.ts';
import { onInterrupt } from '../interrupt.ts';

const FORMATS = ['text', 'json', 'junit', 'sarif', 'md'] as const;

interface PoliciesArgs {
  action: 'check' | 'probe';
  allowlist: string;
  manifests?: string[];
  ipBlockMode: 'upstream' | 'cilium' | 'unknown';
  podCidr?: string[];
  output: (typeof FORMATS)[number];
  out?: string;
  maxCounterexamples: number;
  timeoutSeconds: number;
  retries: number;
  namespace?: string;
  namespaces?: string[];
  allNamespaces?: boolean;
  image?: string;
  dryRun?: boolean;
}

export const policies = defineCommand<PoliciesArgs>({
  command: 'policies <action>',
  describe: 'prove that network policies allow no egress beyond an EgressAllowlist (check: static, probe: live traffic)',
  builder: (y) =>
    y
      .positional('action', { choices: ['check', 'probe'] as const, demandOption: true, describe: 'check: exact static analysis; probe: send real traffic and compare' })
      .option('allowlist', { type: 'string', demandOption: true, describe: 'the EgressAllowlist file (see policies/examples/allowlist.yaml)' })
      .option('manifests', { type: 'string', array: true, describe: 'manifest files or directories, or - for stdin (instead of --context)' })
      .option('ip-block-mode', { choices: ['upstream', 'cilium', 'unknown'] as const, default: 'unknown' as const, describe: 'whether ipBlock matches pod IPs (upstream: yes, cilium: no, unknown: analyse both)' })
      .option('pod-cidr', { type: 'string', array: true, describe: 'CIDR(s) pod IPs come from (narrows where template pods can sit)' })
      // yargs appends a command's choices to the global option's (text, json): add only the extra formats.
      .option('output', { choices: FORMATS.filter((f) => f !== 'text' && f !== 'json'), default: 'text' as const, describe: 'report format on stdout' })
      .option('out', { type: 'string', describe: 'write the report to this file instead of stdout' })
      .option('max-counterexamples', { type: 'number', default: 20, describe: 'counterexamples listed per workload (all are counted)' })
      .option('timeout-seconds', { type: 'number', default: 120, describe: 'probe: overall time limit' })
      .option('retries', { type: 'number', default: 2, describe: 'probe: retries before a mismatch is declared' })
      .option('namespaces', { type: 'string', array: true, describe: 'probe: namespaces whose workloads are probed (also -n NS); required unless --all-namespaces' })
      .option('all-namespaces', { alias: 'A', type: 'boolean', describe: 'probe: every namespace not starting with kube-' })
      .option('image', { type: 'string', describe: 'probe: probe pod image (default $GAUNTLET_PROBE_IMAGE, else the lab\'s gauntlet.local/probe:v1)' })
      .option('dry-run', { type: 'boolean', describe: 'probe: print the plan (probe pods, checks, PodDisruptionBudgets and Services that select them) and create nothing' })
      .example('$0 policies check --allowlist allow.yaml --manifests k8s/', 'exit 0 all compliant, 1 any violation or inconclusive, 2 bad input')
      .example('$0 policies check --allowlist allow.yaml --context prod -o sarif --out egress.sarif', 'analyse a live cluster; findings at policy file:line')
      .example('$0 policies probe --allowlist allow.yaml --context lab -n shop', 'live probes in namespace shop: expected vs observed truth table')
      .example('$0 policies probe --allowlist allow.yaml --all-namespaces --dry-run', 'the plan only: which pods, which checks, which PDBs see them'),
  async handler(a) {
    const o = optionsFromArgs({ ...a, output: 'text' });
    const write = async (text: string) => {
      if (a.out) {
        const { writeFile } = await import('node:fs/promises');
        await writeFile(a.out, text);
        o.progress(`wrote ${a.out}`);
      } else process.stdout.write(text);
    };
    if (a.action === 'check') {
      const { checkPolicies, policyExitCode } = await import('../../policies/check.ts');
      const { renderPolicyCheckChunks, JSON_PIECE } = await import('../../policies/output/index.ts');
      // Without --manifests, read the cluster the kubeconfig names: --kubeconfig / $KUBECONFIG /
      // ~/.kube/config, and --context or its current-context (the resolution every command uses).
      const kube = a.manifests ? undefined : (await import('../../core/kube.ts')).connect(o);
      const r = await checkPolicies({
        allowlist: a.allowlist, manifests: a.manifests, ...(kube ? { context: kube.context, kube } : {}),
        ipBlockMode: a.ipBlockMode, podCidrs: a.podCidr, maxCounterexamples: a.maxCounterexamples, progress: o.progress,
      });
      await writeChunks(renderPolicyCheckChunks(r, a.output), JSON_PIECE, a.out);
      if (a.out) o.progress(`wrote ${a.out}`);
      return policyExitCode(r);
    }
    const { UsageError } = await import('../../core/errors.ts');
    const named = probeNamespaces(a);
    if (a.allNamespaces && named.length) throw new UsageError('give --all-namespaces or namespaces (-n / --namespaces), not both');
    const namespaces = a.allNamespaces ? ('all' as const) : named;
    const { probePolicies, renderPlan, renderProbe } = await import('../../policies/probe.ts');
    const interrupt = onInterrupt('stopping the probes and removing them');
    const stop = { signal: interrupt.signal };
    try {
      const r = await probePolicies({
        allowlist: a.allowlist, context: a.context, options: o, ipBlockMode: a.ipBlockMode, podCidrs: a.podCidr, namespaces, image: a.image,
        retries: a.retries, timeoutSeconds: a.timeoutSeconds, signal: stop.signal, dryRun: a.dryRun, progress: o.progress,
      });
      const { probeDoc, probePlanDoc } = await import('../documents.ts');
      if (a.dryRun) {
        await write(a.output === 'json' ? JSON.stringify(probePlanDoc(r.plan), null, 2) + '\n' : renderPlan(r.plan));
        return ExitCode.Pass;
      }
      await write(a.output === 'json' ? JSON.stringify(probeDoc(r), null, 2) + '\n' : renderProbe(r));
      return r.unreverted.length ? ExitCode.RevertFailed : stop.signal.aborted ? ExitCode.Interrupted : r.verdictExitCode ? ExitCode.GateFailed : ExitCode.Pass;
    } finally {
      interrupt.done();
    }
  },
});

/**
 * The namespaces `policies probe` was given: `--namespaces` (comma lists too) and `-n`, which yargs
 * makes an array when it is repeated; each name once, in order.
 */
export function probeNamespaces(a: { namespaces?: string[]; namespace?: string | string[] }): string[] {
  const all = [...(a.namespaces ?? []), ...[a.namespace ?? []].flat()].flatMap((n) => n.split(',')).filter(Boolean);
  return [...new Set(all)];
}

/**
 * Write a report piece by piece to `file` (or stdout), `piece` characters at a time or more,
 * waiting for the stream to drain: a report of 100,000 workloads is never one string.
 */
async function writeChunks(chunks: Iterable<string>, piece: number, file?: string): Promise<void> {
  const out = file ? createWriteStream(file) : process.stdout;
  const failed = file ? once(out, 'error').then(([e]: unknown[]) => Promise.reject(e)) : undefined;
  failed?.catch(() => {});
  const put = async (text: string) => {
    if (!out.write(text)) await (failed ? Promise.race([once(out, 'drain'), failed]) : once(out, 'drain'));
  };
  let buf = '';
  for (const c of chunks) {
    buf += c;
    if (buf.length >= piece) (await put(buf), (buf = ''));
  }
  if (buf) await put(buf);
  if (file) {
    const done = once(out, 'finish');
    out.end();
    await (failed ? Promise.race([done, failed]) : done);
  }
}
