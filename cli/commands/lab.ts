/** `gauntlet lab up|down|status|env|node-stop|node-start`: the local test cluster. */
import { ExitCode } from '../../core/errors.ts';
import { ENFORCERS } from '../../lab/config.ts';
import { defineCommand } from './types.ts';
import { emit, optionsFromArgs } from '../context.ts';

const PROVIDERS = ['local', 'kind'] as const;
const ACTIONS = ['up', 'down', 'status', 'env', 'node-stop', 'node-start'] as const;

export const lab = defineCommand<{ action: (typeof ACTIONS)[number]; name?: string; provider?: (typeof PROVIDERS)[number]; nodes: number; fakeNodes: number; enforcer?: (typeof ENFORCERS)[number]; addons?: string[]; node?: string; wait: boolean }>({
  command: 'lab <action> [name]',
  describe: `a real multi-node Kubernetes lab on this machine (${ACTIONS.join(', ')})`,
  builder: (y) =>
    y
      .positional('action', { choices: ACTIONS, demandOption: true, describe: 'what to do with the lab' })
      .positional('name', { type: 'string', describe: 'node-stop, node-start: the node (same as --node)' })
      .option('provider', { choices: PROVIDERS, describe: 'local (host processes) or kind (podman, node image built here); without it: the lab that is up, else kind where podman answers and the kind provider is installed, else local' })
      .option('nodes', { type: 'number', default: 3, describe: 'real worker nodes' })
      .option('fake-nodes', { type: 'number', default: 0, describe: 'KWOK-simulated nodes (tainted, no containers)' })
      .option('enforcer', { choices: ENFORCERS, describe: 'NetworkPolicy enforcer (local provider): netpol (default) or kube-router (upstream v2.1.0, lab only)' })
      .option('addons', { type: 'string', array: true, describe: 'add-ons to start on top (flagger: Flagger, Traefik and Prometheus as host processes)' })
      .option('node', { type: 'string', describe: 'node name for node-stop / node-start' })
      .option('wait', { type: 'boolean', default: true, describe: 'node-start: wait until the node is Ready (--no-wait returns at once)' })
      .example('$0 lab up', 'start a 3-node lab (idempotent)')
      .example('$0 lab up --addons flagger', 'add Flagger, Traefik (the router) and Prometheus to the lab')
      .example('eval "$($0 lab env)"', 'point kubectl at the lab')
      .example('$0 lab up --provider kind --nodes 2', 'a kind cluster on podman (scripts/tools/install-kind.sh first)')
      .example('$0 lab node-stop lab-node-2', 'stop a node as a node failure would; `lab node-start lab-node-2` brings it back'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const lab = await import('../../lab/index.ts');
    if (a.name !== undefined && a.action !== 'node-stop' && a.action !== 'node-start') {
      const { UsageError } = await import('../../core/errors.ts');
      throw new UsageError(`lab ${a.action} takes no name (got "${a.name}")`, { hint: 'only node-stop and node-start name a node' });
    }
    switch (a.action) {
      case 'up': {
        const r = await lab.labUp({ provider: a.provider, nodes: a.nodes, fakeNodes: a.fakeNodes, enforcer: a.enforcer, addons: (a.addons ?? []).flatMap((x) => x.split(',')).filter(Boolean) as import('../../lab/index.ts').AddonName[], log: (l) => o.progress(`lab: ${l}`) });
        emit(o, r, () => `lab up (${r.provider}, ${r.nodes} nodes${r.fakeNodes ? ` + ${r.fakeNodes} fake` : ''}${r.addons.length ? `, add-ons: ${r.addons.join(', ')}` : ''}, enforcer ${r.enforcer}) in ${r.seconds.toFixed(1)} s\nexport KUBECONFIG=${r.kubeconfig}`);
        return ExitCode.Pass;
      }
      case 'down': {
        const r = await lab.labDown({ provider: a.provider });
        emit(o, r, () => `lab down: stopped ${r.stoppedProcesses} processes, unmounted ${r.unmounted}${r.leftovers.length ? `; LEFT: ${r.leftovers.join(', ')}` : ''}`);
        return r.leftovers.length ? ExitCode.Infra : ExitCode.Pass;
      }
      case 'status': {
        const s = await lab.labStatus({ provider: a.provider });
        emit(o, { schema: 'gauntlet/lab-status/v1', ...s }, () => lab.formatStatus(s));
        return ExitCode.Pass;
      }
      case 'env': {
        const r = await lab.labEnv({ provider: a.provider });
        if (!r.up) {
          // Nothing on stdout in text mode: `eval "$(gauntlet lab env)"` must not export a missing file.
          if (o.output === 'json') emit(o, { schema: 'gauntlet/lab-env/v1', ...r }, () => '');
          process.stderr.write('the lab is down (no kubeconfig at ' + r.kubeconfig + ')\nhint: start it with `gauntlet lab up`\n');
          // 1, not 2 or 3: nothing was wrong with the command or the machine, there is just no lab.
          return ExitCode.GateFailed;
        }
        emit(o, { schema: 'gauntlet/lab-env/v1', ...r }, () => r.shell);
        return ExitCode.Pass;
      }
      case 'node-stop':
      case 'node-start': {
        const { UsageError } = await import('../../core/errors.ts');
        if (a.node && a.name && a.node !== a.name) throw new UsageError(`lab ${a.action}: two different nodes given (${a.name} and --node ${a.node})`);
        const node = a.name ?? a.node;
        if (!node) throw new UsageError(`lab ${a.action} needs a node name`, { hint: `gauntlet lab ${a.action} lab-node-2` });
        if (a.action === 'node-stop') {
          await lab.labNodeStop({ node, provider: a.provider });
          emit(o, { schema: 'gauntlet/lab-node/v1', node, action: a.action }, () => `node-stop: ${node} stopped (kubelet and runtime; \`lab status\` shows it as Stopped)`);
        } else {
          if (a.wait) o.progress(`lab: starting ${node}, waiting until it is Ready (--no-wait to return at once)`);
          const r = await lab.labNodeStart({ node, provider: a.provider, waitMs: a.wait ? 180_000 : 0 });
          const readySeconds = r.readyAfterMs === undefined ? undefined : r.readyAfterMs / 1000;
          emit(o, { schema: 'gauntlet/lab-node/v1', node, action: a.action, ...(readySeconds !== undefined ? { readySeconds } : {}) }, () =>
            `node-start: ${node} ${readySeconds !== undefined ? `Ready after ${readySeconds.toFixed(1)} s` : 'started (not waiting for Ready)'}`);
        }
        return ExitCode.Pass;
      }
    }
  },
});
