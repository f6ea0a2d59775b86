/** policies check / policies probe: prove that network policies block unapproved egress. */
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
      .option('output', { alias: 'o', choices: FORMATS, default: 'text' as const, describe: 'report format on stdout' })
      .option('out', { type: 'string', describe: 'write the report to this file instead of stdout' })
      .option('max-counterexamples', { type: 'number', default: 20, describe: 'counterexamples listed per workload (all are counted)' })
      .option('timeout-seconds', { type: 'number', default: 120, describe: 'probe: overall time limit' })
      .option('retries', { type: 'number', default: 2, describe: 'probe: retries before a mismatch is declared' })
      .example('$0 policies check --allowlist allow.yaml --manifests k8s/', 'exit 0 all compliant, 1 any violation or inconclusive, 2 bad input')
      .example('$0 policies check --allowlist allow.yaml --context prod -o sarif --out egress.sarif', 'analyse a live cluster; findings at policy file:line')
      .example('$0 policies probe --allowlist allow.yaml --context lab', 'live probes: expected vs observed truth table'),
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
      if (!a.manifests && !a.context) {
        const { UsageError } = await import('../../core/errors.ts');
        throw new UsageError('give --manifests FILE|DIR|- or --context CTX');
      }
      const { checkPolicies, policyExitCode } = await import('../../policies/check.ts');
      const { renderPolicyCheck } = await import('../../policies/output/index.ts');
      const r = await checkPolicies({
        allowlist: a.allowlist, manifests: a.manifests, context: a.manifests ? undefined : a.context,
        ipBlockMode: a.ipBlockMode, podCidrs: a.podCidr, maxCounterexamples: a.maxCounterexamples,
      });
      await write(renderPolicyCheck(r, a.output));
      return policyExitCode(r);
    }
    const { probePolicies, renderProbe } = await import('../../policies/probe.ts');
    const interrupt = onInterrupt('stopping the probes and removing them');
    const stop = { signal: interrupt.signal };
    try {
      const r = await probePolicies({
        allowlist: a.allowlist, context: a.context, options: o, ipBlockMode: a.ipBlockMode, podCidrs: a.podCidr,
        retries: a.retries, timeoutSeconds: a.timeoutSeconds, signal: stop.signal,
      });
      await write(a.output === 'json' ? JSON.stringify(r, null, 2) + '\n' : renderProbe(r));
      return stop.signal.aborted ? ExitCode.Interrupted : r.mismatches.length || r.verdictExitCode ? ExitCode.GateFailed : ExitCode.Pass;
    } finally {
      interrupt.done();
    }
  },
});
