import { describe, expect, it } from 'vitest';
import { failureCause } from './failures.ts';

describe('failureCause', () => {
  it.each([
    [503, undefined, 'http-5xx'],
    [404, undefined, 'http-4xx'],
    [0, 'connect ECONNREFUSED 127.0.0.1:8080', 'refused'],
    [0, 'dial tcp 127.0.0.1:9: connect: connection refused', 'refused'],
    [0, 'The operation was aborted due to timeout', 'timeout'],
    [0, 'request timeout', 'timeout'],
    [0, 'read ECONNRESET', 'reset'],
    [0, 'getaddrinfo ENOTFOUND nope.invalid', 'dns'],
    [0, 'fetch failed', 'no-response'],
    [302, 'unexpected status', 'http-other'],
  ] as const)('status %s, %s -> %s', (status, error, want) => {
    expect(failureCause(status, error)).toBe(want);
  });
});
