/** container-kill chooses how to kill before acting, and refuses what would not work or would hit more than the container. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.ts';
import { killHow } from './container-kill.ts';

const ID = `containerd://${'a'.repeat(64)}`;
const pod = (spec: Record<string, unknown> = {}) =>
  ({
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u1' },
    spec: { nodeName: 'lab-node-2', containers: [{ name: 'web' }, { name: 'envoy' }], ...spec },
    status: { containerStatuses: [{ name: 'web', containerID: ID, restartCount: 0 }, { name: 'envoy', restartCount: 0 }] },
  }) as never;

describe('container-kill: how', () => {
  it('on a lab node, auto kills the named container from the runtime with SIGKILL', () => {
    expect(killHow(pod(), 'web', 'auto', undefined, true)).toEqual({ how: 'runtime', node: 'lab-node-2', containerId: ID, signal: 'KILL' });
  });
  it('elsewhere, auto execs kill -s TERM 1 in the container', () => {
    expect(killHow(pod(), 'web', 'auto', undefined, false)).toEqual({ how: 'exec', argv: ['sh', '-c', 'kill -s TERM 1'], signal: 'TERM' });
  });
  it('refuses SIGKILL through exec: the kernel ignores it for PID 1 inside its namespace', () => {
    expect(() => killHow(pod(), 'web', 'exec', 'KILL', true)).toThrow(/ignores SIGKILL sent to PID 1/);
  });
  it('refuses exec into a pod sharing its process namespace (PID 1 is the pause process: the whole pod would go)', () => {
    expect(() => killHow(pod({ shareProcessNamespace: true }), 'web', 'exec', 'TERM', false)).toThrow(/pause process/);
  });
  it('refuses the runtime method off the lab, a container the pod lacks, and one not running', () => {
    expect(() => killHow(pod(), 'web', 'runtime', undefined, false)).toThrow(UsageError);
    expect(() => killHow(pod(), 'db', 'auto', undefined, true)).toThrow(/has no container db \(has: web, envoy\)/);
    expect(() => killHow(pod(), 'envoy', 'auto', undefined, true)).toThrow(/not running/);
  });
});
