/**
 * The objects a `flagger` release applies: the Canary (the user's, or one generated from the
 * target with defaults fit for a lab), and for the `traefik` provider the IngressRoute that sends
 * the router's traffic to the TraefikService Flagger owns. Pure: tests build them without a cluster.
 */
import type { Canary } from '../flagger-types/index.ts';
import { FLAGGER_API_VERSIONS } from '../flagger-types/index.ts';

export type FlaggerProvider = 'traefik' | 'kubernetes' | 'gatewayapi:v1';

export interface CanaryDefaults {
  name: string;
  namespace: string;
  provider: FlaggerProvider;
  port: number;
  targetPort: number;
  /** Analysis interval, ms (Flagger's minimum is 10 s). */
  interval: number;
  threshold: number;
  maxWeight: number;
  stepWeight: number;
  /** Blue/green (kubernetes provider): analysis runs this many intervals, then promotes. */
  iterations: number;
  /** request-success-rate must stay at or above this, % (from errorRate: 1 % -> 99). */
  minSuccessRate: number;
  /** request-duration (p99) at most, ms. */
  maxDurationMs: number;
  /** Base URL of Gauntlet's webhook server; undefined = no webhooks. */
  webhookUrl?: string;
  /** For gatewayapi:v1: the Gateway the HTTPRoute attaches to. */
  gateway?: { name: string; namespace: string };
  progressDeadlineSeconds: number;
}

const seconds = (ms: number): string => `${Math.max(1, Math.round(ms / 1000))}s`;

/** One analysis webhook (the CRD leaves `analysis` schemaless; these are Flagger's documented fields). */
export interface WebhookItem {
  name: string;
  type: string;
  url: string;
  timeout?: string;
  metadata?: Record<string, string>;
}

export function webhookItems(base: string): WebhookItem[] {
  return (['confirm-rollout', 'pre-rollout', 'rollout'] as const).map((type) => ({ name: `gauntlet-${type}`, type, url: `${base}/${type}`, timeout: '5s' }));
}

/** A Canary for a Deployment: weighted (traefik, gatewayapi:v1) or blue/green (kubernetes). */
export function generateCanary(d: CanaryDefaults): Canary & { spec: NonNullable<Canary['spec']> } {
  const weighted = d.provider !== 'kubernetes';
  // Flagger's built-in metrics for traefik read Traefik's own series (which the add-on's
  // Prometheus scrapes); for kubernetes and gatewayapi:v1 they read the app's
  // http_request_duration_seconds, which a service may not export: those are judged by
  // Gauntlet's webhooks alone.
  const metrics = d.provider === 'traefik'
    ? [
        { name: 'request-success-rate', interval: seconds(d.interval), thresholdRange: { min: d.minSuccessRate } },
        { name: 'request-duration', interval: seconds(d.interval), thresholdRange: { max: d.maxDurationMs } },
      ]
    : [];
  return {
    apiVersion: FLAGGER_API_VERSIONS.Canary,
    kind: 'Canary',
    metadata: { name: d.name, namespace: d.namespace },
    spec: {
      provider: d.provider,
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: d.name },
      progressDeadlineSeconds: d.progressDeadlineSeconds,
      // Deleting the Canary (Gauntlet's revert) gives the target its replicas and Service back.
      revertOnDeletion: true,
      service: {
        port: d.port,
        targetPort: d.targetPort,
        ...(d.provider === 'gatewayapi:v1' && d.gateway ? { gatewayRefs: [{ name: d.gateway.name, namespace: d.gateway.namespace }] } : {}),
      },
      analysis: {
        interval: seconds(d.interval),
        threshold: d.threshold,
        ...(weighted ? { maxWeight: d.maxWeight, stepWeight: d.stepWeight } : { iterations: d.iterations }),
        metrics,
        ...(d.webhookUrl ? { webhooks: webhookItems(d.webhookUrl) } : {}),
      },
    },
  } as Canary & { spec: NonNullable<Canary['spec']> };
}

/** Path under which the router serves an app: /<namespace>/<name>/ (one entry point for every app). */
export const routerPath = (namespace: string, name: string): string => `/${namespace}/${name}`;

/** Traefik: the route to the TraefikService Flagger creates (named after the apex Service). */
export function ingressRoute(namespace: string, name: string): Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace: string } } {
  return {
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'IngressRoute',
    metadata: { name: `${name}-gauntlet`, namespace },
    spec: {
      entryPoints: ['web'],
      routes: [{ match: `PathPrefix(\`${routerPath(namespace, name)}\`)`, kind: 'Rule', services: [{ name, kind: 'TraefikService' }] }],
    },
  };
}

/** Flagger's webhook contract: a payload and which answers count as failed checks (status > 202... or any non-2xx). */
export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: string;
  checksum?: string;
  metadata?: Record<string, string>;
}
