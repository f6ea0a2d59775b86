/**
 * The lab's demo service as a team's existing workload: a Namespace, a Deployment of `replicas`
 * (gauntlet.local/demo:v1, VERSION=v1, readiness on /readyz, a drain of `drain`) and a Service
 * `demo` on port 80; optionally a fixed ClusterIP, a topology spread over the nodes and a
 * PodDisruptionBudget. One text for the canary, chaos, Flagger and lab e2e files and the lab benches.
 */
export interface DemoOptions {
  /** The Service's ClusterIP (a free address of the lab's Service range); else one is assigned. */
  clusterIP?: string;
  /** A PodDisruptionBudget `demo` with this minAvailable. */
  minAvailable?: number;
  /** Spread the pods over the nodes (maxSkew 1, tainted nodes not counted). */
  spread?: 'ScheduleAnyway' | 'DoNotSchedule';
  /** The demo's drain on SIGTERM (default 1s). */
  drain?: string;
  /** Include the Namespace object (default true). */
  namespace?: boolean;
}

export function demoService(ns: string, replicas: number, o: DemoOptions = {}): string {
  const docs: string[] = [];
  if (o.namespace !== false) docs.push(`apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
`);
  // Honor: a tainted (NotReady) node stops counting as a domain, so pods can leave it.
  const spread = o.spread ? `      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ${o.spread}, nodeTaintsPolicy: Honor, labelSelector: {matchLabels: {app: demo}}}
` : '';
  docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: demo, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      terminationGracePeriodSeconds: 5
${spread}      containers:
        - name: demo
          image: gauntlet.local/demo:v1
          imagePullPolicy: Never
          env: [{name: VERSION, value: v1}, {name: DRAIN, value: ${o.drain ?? '1s'}}]
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}
`);
  docs.push(`apiVersion: v1
kind: Service
metadata: {name: demo, namespace: ${ns}}
spec:
${o.clusterIP ? `  clusterIP: ${o.clusterIP}\n` : ''}  selector: {app: demo}
  ports: [{port: 80, targetPort: 8080}]
`);
  if (o.minAvailable !== undefined) docs.push(`apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: demo, namespace: ${ns}}
spec:
  minAvailable: ${o.minAvailable}
  selector: {matchLabels: {app: demo}}
`);
  return docs.join('---\n');
}
