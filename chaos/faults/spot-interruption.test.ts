/** spot-interruption's pure parts: the validate-time timeline check, the plan, the FIS template. */
import { describe, expect, it } from 'vitest';
import type { Scenario, Step } from '../../core/scenario.ts';
import { stepKind } from '../../core/steps.ts';
import { fisTemplate, interruptionEventId } from './spot-interruption.ts';

const kind = () => stepKind('spot-interruption')!;
const step = (params: Record<string, unknown>, duration?: number): Step =>
  ({ id: 'spot', kind: 'spot-interruption', section: 'faults', at: 0, duration, params: kind().params.parse(params), source: { file: 't.yaml' } }) as Step;
const scenario = { name: 't', file: 't.yaml', target: { namespace: 'shop' }, duration: 600_000, seed: 1, gates: [] } as Omit<Scenario, 'steps'>;

describe('spot-interruption', () => {
  it('targets spot nodes by default, one at most', () => {
    expect(kind().params.parse({}).nodes).toEqual({ spot: true, maxNodes: 1 });
  });
  it('refuses at validate a window that ends before T, and a storm over the node cap', () => {
    expect(kind().check!(step({ notice: '20s' }, 10_000) as never, scenario).map((x) => x[1]).join()).toMatch(/ends before T/);
    expect(kind().check!(step({ notice: '20s' }, 30_000) as never, scenario)).toEqual([]);
    expect(kind().check!(step({ nodes: { names: ['a', 'b'] }, stagger: '10s', notice: '20s' }, 60_000) as never, scenario).map((x) => x[1]).join()).toMatch(/blast-radius cap/);
    expect(kind().check!(step({ nodes: { names: ['a', 'b'], maxNodes: 2 }, stagger: '10s', notice: '20s' }, 25_000) as never, scenario).map((x) => x[1]).join()).toMatch(/ends before T/);
  });
  it('the handler taint value is a valid label value however long the run id and node name', () => {
    const label = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
    // Cut at 63 this one ended in '-' (the API refused the taint with 422 on the kind lab).
    const id = interruptionEventId('20261202T122444Z-chaos3-spotcrash-t-bf29', 'gauntlet-lab-worker2');
    expect(id).toBe('gauntlet-20261202T122444Z-chaos3-spotcrash-t-bf29-gauntlet-lab');
    expect(id).toMatch(label);
    for (const node of ['lab-node-1', 'ip-10-0-1-2.eu-west-1.compute.internal', 'a']) {
      for (const runId of ['20261202T122444Z-x-bf29', '20261202T122444Z-a-very-long-scenario-name-indeed-0123']) {
        const v = interruptionEventId(runId, node);
        expect(v.length).toBeLessThanOrEqual(63);
        expect(v).toMatch(label);
      }
    }
  });
  it('says in the plan that at T nothing protects the pods', () => {
    expect(kind().plan(step({ notice: '20s' }, 30_000) as never, { ...scenario, steps: [] }).join('\n')).toMatch(/PodDisruptionBudgets cannot protect/);
  });
  it('writes an FIS template naming the instances from their provider IDs, with at least the 2-minute notice FIS allows', () => {
    const node = { metadata: { name: 'ip-10-0-0-1' }, spec: { providerID: 'aws:///eu-west-1b/i-0abc123' } };
    const t = fisTemplate(kind().params.parse({ notice: '20s' }), [node as never], 'shop') as any;
    expect(t.actions.interrupt.actionId).toBe('aws:ec2:send-spot-instance-interruptions');
    expect(t.actions.interrupt.parameters.durationBeforeInterruption).toBe('PT120S');
    expect(t.targets.spotInstances.resourceArns).toEqual(['arn:aws:ec2:eu-west-1:<account-id>:instance/i-0abc123']);
    const lab = fisTemplate(kind().params.parse({}), [{ metadata: { name: 'lab-node-1' }, spec: {} } as never], 'shop') as any;
    expect(lab.targets.spotInstances.selectionMode).toBe('COUNT(1)');
  });
});
