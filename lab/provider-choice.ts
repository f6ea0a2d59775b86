/**
 * Which provider a `lab` command goes to without `--provider`. The decision is a pure function of
 * a few facts about the machine (unit-tested with fakes); gathering them is separate and lazy.
 *
 * 1. `--provider` wins; then `lab up` options only the local provider has (--addons, --fake-nodes,
 *    --enforcer kube-router) choose it.
 * 2. A lab that is up wins: commands must find it whatever else the machine has (the local one
 *    when both are up: it is the shared lab CI and the main suites use).
 * 3. Nothing up: kind when a container engine answers and the kind provider is installed (kind
 *    and the node image built here, scripts/tools/install-kind.sh), as a user with kind installed
 *    expects; local otherwise. The kind provider drives podman: Docker answering alone does not
 *    make it usable, and the reason says so.
 */
export type Provider = 'local' | 'kind';
export type Engine = 'podman' | 'docker';

export interface ProviderFacts {
  /** A `lab up` option only the local provider has, e.g. `--addons` (undefined: none given). */
  localOnlyOption?: string;
  localUp: boolean;
  kindUp: boolean;
  /** Container engines that answer (probed only when nothing is up and no flag is given). */
  engines: () => Promise<Engine[]>;
  /** kind built into the tool cache and the node image present in podman. */
  kindInstalled: () => Promise<boolean>;
}

export interface ProviderChoice {
  provider: Provider;
  /** Why, in a line for `lab up`'s progress. */
  why: string;
}

export async function chooseProvider(flag: Provider | undefined, f: ProviderFacts): Promise<ProviderChoice> {
  if (flag !== undefined) return { provider: flag, why: `--provider ${flag}` };
  if (f.localOnlyOption !== undefined) return { provider: 'local', why: `${f.localOnlyOption} needs the local provider` };
  if (f.localUp) return { provider: 'local', why: f.kindUp ? 'the local lab is up (a kind lab too: --provider kind for it)' : 'the local lab is up' };
  if (f.kindUp) return { provider: 'kind', why: 'the kind lab is up' };
  const engines = await f.engines();
  if (engines.includes('podman')) {
    if (await f.kindInstalled()) return { provider: 'kind', why: 'no lab is up; podman answers and the kind provider is installed (--provider local for the local lab)' };
    return { provider: 'local', why: 'no lab is up; podman answers but the kind provider is not installed (scripts/tools/install-kind.sh)' };
  }
  if (engines.includes('docker')) {
    return { provider: 'local', why: 'no lab is up; docker answers, but the kind provider runs on podman with a node image built here (scripts/tools/install-kind.sh)' };
  }
  return { provider: 'local', why: 'no lab is up and no container engine answers' };
}
