/**
 * Simulated nodes (KWOK) for scale tests: Node objects annotated so KWOK manages only them and
 * tainted so real workloads never land there. They carry no containers and no traffic.
 */
import { join } from 'node:path';
import { FAKE_NODE, type LabPaths } from '../../config.ts';
import { kubectl } from './kubectl.ts';
import { daemons, startDaemon } from './sh.ts';

export const fakeNodeName = (i: number): string => `lab-fake-${i}`;

export function fakeNodeManifest(count: number): string {
  const zones = ['lab-a', 'lab-b', 'lab-c'];
  return Array.from({ length: count }, (_, i) => `apiVersion: v1
kind: Node
metadata:
  name: ${fakeNodeName(i + 1)}
  annotations: {${FAKE_NODE.annotation}: ${FAKE_NODE.annotationValue}}
  labels:
    type: kwok
    kubernetes.io/hostname: ${fakeNodeName(i + 1)}
    topology.kubernetes.io/zone: ${zones[i % zones.length]}
    gauntlet.dev/fake-node: "true"
spec:
  taints:
  - {key: ${FAKE_NODE.taint.key}, value: "${FAKE_NODE.taint.value}", effect: ${FAKE_NODE.taint.effect}}
`).join('---\n');
}

export async function startFakeNodes(p: LabPaths, count: number): Promise<void> {
  await kubectl(p, ['apply', '-f', '-'], fakeNodeManifest(count));
  if (daemons(p.state).some((d) => d.name === 'kwok' && d.alive)) return;
  startDaemon(p.state, {
    name: 'kwok',
    cmd: join(p.bin, 'kwok'),
    args: [
      `--kubeconfig=${p.kubeconfig}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${FAKE_NODE.annotation}=${FAKE_NODE.annotationValue}`,
      // Fake addresses stay inside the lab's own bridge range, where nothing answers.
      '--node-ip=10.77.0.250',
      '--cidr=10.77.0.128/26',
    ],
  });
}
