/**
 * The lab's demo service as a team's existing workload: a Namespace, a Deployment of `replicas`
 * (gauntlet.local/demo:v1, VERSION=v1, readiness on /readyz, a 1 s drain) and a Service `demo` on
 * port 80. One text for the canary and Flagger e2e files and the lab benches.
 */
export function demoService(ns: string, replicas: number): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: demo, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: demo
          image: gauntlet.local/demo:v1
          imagePullPolicy: Never
          env: [{name: VERSION, value: v1}, {name: DRAIN, value: 1s}]
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: demo, namespace: ${ns}}
spec:
  selector: {app: demo}
  ports: [{port: 80, targetPort: 8080}]
`;
}
