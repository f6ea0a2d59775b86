import { describe, expect, it } from 'vitest';
import { chooseProvider, type Engine, type ProviderFacts } from './provider-choice.ts';

/** A machine described by its facts; probes count their calls (nothing is probed when a lab is up). */
function machine(o: { localUp?: boolean; kindUp?: boolean; engines?: Engine[]; kindInstalled?: boolean; localOnlyOption?: string }) {
  const probes: string[] = [];
  const facts: ProviderFacts = {
    localUp: o.localUp ?? false,
    kindUp: o.kindUp ?? false,
    ...(o.localOnlyOption === undefined ? {} : { localOnlyOption: o.localOnlyOption }),
    engines: async () => (probes.push('engines'), o.engines ?? []),
    kindInstalled: async () => (probes.push('kind'), o.kindInstalled ?? false),
  };
  return { facts, probes };
}

describe('which provider a lab command uses without --provider', () => {
  it('a user with podman and the kind provider installed, nothing up: kind', async () => {
    const m = machine({ engines: ['podman'], kindInstalled: true });
    const c = await chooseProvider(undefined, m.facts);
    expect(c.provider).toBe('kind');
    expect(c.why).toContain('--provider local');
  });

  it('docker answers but the kind provider is not installed (it drives podman): local, and the reason says why', async () => {
    const c = await chooseProvider(undefined, machine({ engines: ['docker'] }).facts);
    expect(c).toMatchObject({ provider: 'local' });
    expect(c.why).toMatch(/docker answers.*podman.*install-kind\.sh/);
  });

  it('podman answers but kind or its node image is missing: local, pointing at install-kind.sh', async () => {
    const c = await chooseProvider(undefined, machine({ engines: ['podman', 'docker'], kindInstalled: false }).facts);
    expect(c.provider).toBe('local');
    expect(c.why).toContain('install-kind.sh');
  });

  it('no container engine: local', async () => {
    expect((await chooseProvider(undefined, machine({ kindInstalled: true }).facts)).provider).toBe('local');
  });

  it('the lab that is up wins, without probing anything: local when it is up (even beside a kind lab), kind when only it is', async () => {
    const both = machine({ localUp: true, kindUp: true, engines: ['podman'], kindInstalled: true });
    expect((await chooseProvider(undefined, both.facts)).provider).toBe('local');
    const onlyLocal = machine({ localUp: true, engines: ['podman'], kindInstalled: true });
    expect((await chooseProvider(undefined, onlyLocal.facts)).provider).toBe('local');
    const onlyKind = machine({ kindUp: true });
    expect((await chooseProvider(undefined, onlyKind.facts)).provider).toBe('kind');
    expect([...both.probes, ...onlyLocal.probes, ...onlyKind.probes]).toEqual([]);
  });

  it('--provider overrides everything; a local-only lab up option (--addons) picks local', async () => {
    const m = machine({ kindUp: true, engines: ['podman'], kindInstalled: true });
    expect((await chooseProvider('local', m.facts)).provider).toBe('local');
    expect((await chooseProvider('kind', machine({ localUp: true }).facts)).provider).toBe('kind');
    const addons = await chooseProvider(undefined, machine({ kindUp: true, engines: ['podman'], kindInstalled: true, localOnlyOption: '--addons' }).facts);
    expect(addons).toEqual({ provider: 'local', why: '--addons needs the local provider' });
  });
});
