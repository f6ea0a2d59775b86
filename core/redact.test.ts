import { describe, expect, it } from 'vitest';
import { isSecretKey, redact, redactString, REDACTED } from './redact.ts';

describe('redact', () => {
  it('blanks values under secret-named keys, however deep', () => {
    const out = redact({ headers: { Authorization: 'Basic dXNlcjpwYXNz', 'X-Api-Key': 'k1' }, db: { password: 'p', user: 'u' }, list: [{ token: 't' }], secret: { a: 'x', b: 2 } });
    expect(out).toEqual({ headers: { Authorization: REDACTED, 'X-Api-Key': REDACTED }, db: { password: REDACTED, user: 'u' }, list: [{ token: REDACTED }], secret: { a: REDACTED, b: REDACTED } });
  });

  it('keeps keys that only name or point at a secret', () => {
    expect(isSecretKey('secretName')).toBe(false);
    expect(isSecretKey('tokenFile')).toBe(false);
    expect(isSecretKey('client_secret')).toBe(true);
    expect(isSecretKey('apiKey')).toBe(true);
  });

  it('scrubs secrets inside free text', () => {
    expect(redactString('GET failed: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl')).not.toMatch(/eyJ/);
    expect(redactString('curl https://admin:hunter2@example.com/x')).toBe('curl https://[redacted]@example.com/x');
    expect(redactString('password=hunter2 user=bob')).toBe(`password=${REDACTED} user=bob`);
    expect(redactString('{"api_key": "abc123", "n": 1}')).toBe(`{"api_key": "${REDACTED}", "n": 1}`);
    expect(redactString('https://x.test/cb?access_token=abc&ok=1')).toBe(`https://x.test/cb?access_token=${REDACTED}&ok=1`);
    expect(redactString('pushed with ghp_abcdefghijklmnopqrstuvwxyz0123')).toBe(`pushed with ${REDACTED}`);
  });

  it('leaves ordinary text alone', () => {
    for (const s of ['p99 latency 412 ms', 'password-reset error rate', 'canary weight 10%', 'https://checkout.shop.svc/health', 'Basic probe', 'token bucket', 'Token bucket limiter', 'Bearer of bad news']) expect(redactString(s)).toBe(s);
    expect(redactString('Authorization: Basic dXNlcjpwYXNz')).not.toContain('dXNlcjpwYXNz');
    expect(redactString('curl -H "Authorization: Bearer abc123def456"')).not.toContain('abc123def456');
    expect(redactString('kubectl --token=s3cr3t-value get pods')).not.toContain('s3cr3t');
  });
});

describe('redact: credentials in argv and Kubernetes Secrets', () => {
  it('blanks the value after a secret-named flag, as an argv or a command line', () => {
    expect(redact(['kubectl', '--token', 's3cr3t-value', 'get', 'pods'])).toEqual(['kubectl', '--token', REDACTED, 'get', 'pods']);
    expect(redact(['curl', '--api-key', 'k-123', '--token-file', '/var/run/token', '-v'])).toEqual(['curl', '--api-key', REDACTED, '--token-file', '/var/run/token', '-v']);
    expect(redactString('k6 run --password hunter2 script.js')).toBe(`k6 run --password ${REDACTED} script.js`);
    expect(redactString('helm --token-file /x/token install')).toBe('helm --token-file /x/token install');
    expect(redact(['kubectl', '--secret-name', 'db', 'x'])).toEqual(['kubectl', '--secret-name', 'db', 'x']);
  });

  it('blanks every value of a Secret\'s data and stringData, whatever the keys are called', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data: { url: 'cG9zdGdyZXM6Ly8=', config: 'eA==' }, stringData: { dsn: 'postgres://u@h/db' } };
    expect(redact({ revert: { kind: 'apply', object: secret } })).toEqual({ revert: { kind: 'apply', object: { ...secret, data: { url: REDACTED, config: REDACTED }, stringData: { dsn: REDACTED } } } });
    // Not a Kubernetes object: a field called data stays.
    expect(redact({ kind: 'Secret', data: { a: 'b' } })).toEqual({ kind: 'Secret', data: { a: 'b' } });
  });
});
