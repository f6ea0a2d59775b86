/** `gauntlet lab up|down|status|env|node-stop|node-start`: the local test cluster. */
import { ExitCode } from '../../core/errors.ts';
import { defineCommand } from './types.ts';
import { emit, optionsFromArgs } from '../context.ts';

const PROVIDERS = ['local', 'kind'] as const;
const ACTIONS = ['up', 'down', 'status', 'env', 'node-stop', 'node-start'] as const;

export const lab = defineCommand<{ action: (typeof ACTIONS)[number]; provider?: (typeof PROVIDERS)[number]; nodes: number; fakeNodes: number; node?: string }>({
  command: 'lab <action>',
  describe: 'a real multi-node Kubernetes lab on this machine (up, down, status, env)',
  builder: (y) =>
    y
      .positional('action', { choices: ACTIONS, demandOption: true, describe: 'what to do with the lab' })
      .option('provider', { choices: PROVIDERS, describe: 'local (host processes; default without Docker) or kind' })
      .option('nodes', { type: 'number', default: 3, describe: 'real worker nodes' })
      .option('fake-nodes', { type: 'number', default: 0, describe: 'KWOK-simulated nodes (tainted, no containers)' })
      .option('node', { type: 'string', describe: 'node name for node-stop / node-start' })
      .example('$0 lab up', 'start a 3-node lab (idempotent)')
      .example('eval "$($0 lab env)"', 'point kubectl at the lab'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const lab = await import('../../lab/index.ts');
    switch (a.action) {
      case 'up': {
        const r = await lab.labUp({ provider: a.provider, nodes: a.nodes, fakeNodes: a.fakeNodes, log: (l) => o.progress(`lab: ${l}`) });
        emit(o, r, () => `lab up (${r.provider}, ${r.nodes} nodes${r.fakeNodes ? ` + ${r.fakeNodes} fake` : ''}) in ${r.seconds.toFixed(1)} s\nexport KUBECONFIG=${r.kubeconfig}`);
        return ExitCode.Pass;
      }
      case 'down': {
        const r = await lab.labDown({ provider: a.provider });
        emit(o, r, () => `lab down: stopped ${r.stoppedProcesses} processes, unmounted ${r.unmounted}${r.leftovers.length ? `; LEFT: ${r.leftovers.join(', ')}` : ''}`);
        return r.leftovers.length ? ExitCode.Infra : ExitCode.Pass;
      }
      case 'status': {
        const s = await lab.labStatus();
        emit(o, s, () => lab.formatStatus(s));
        return ExitCode.Pass;
      }
      case 'env': {
        const r = await lab.labEnv();
        emit(o, r, () => r.shell);
        return ExitCode.Pass;
      }
      case 'node-stop':
      case 'node-start': {
        if (!a.node) {
          const { UsageError } = await import('../../core/errors.ts');
          throw new UsageError(`lab ${a.action} needs --node NAME`);
        }
        await (a.action === 'node-stop' ? lab.labNodeStop({ node: a.node }) : lab.labNodeStart({ node: a.node }));
        emit(o, { node: a.node, action: a.action }, () => `${a.action}: ${a.node}`);
        return ExitCode.Pass;
      }
    }
  },
});
