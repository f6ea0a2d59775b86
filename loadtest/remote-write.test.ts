import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRemoteWrite, DecodeError, snappyDecompress } from './remote-write.ts';
import { startReceiver } from './receiver.ts';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/remote-write.json', import.meta.url), 'utf8')) as { pushes: Array<{ body: string }> };
const body = (i: number) => Buffer.from(fixture.pushes[i]!.body, 'base64');

describe('remote-write decoding', () => {
  it('decompresses snappy literals and overlapping copies', () => {
    // "abcabcabcabc": preamble 12, literal "abc", copy-1 of 9 bytes at offset 3 (run-length).
    const src = Uint8Array.from([12, 0x08, 97, 98, 99, 0x15, 3]);
    expect(new TextDecoder().decode(snappyDecompress(src))).toBe('abcabcabcabc');
    expect(() => snappyDecompress(Uint8Array.from([12, 0x08, 97]))).toThrow(DecodeError);
  });

  it("reads a real k6 push: labels, counter samples, schema-3 native histograms in seconds", () => {
    const series = decodeRemoteWrite(body(2));
    const names = new Set(series.map((s) => s.labels.find((l) => l.name === '__name__')?.value));
    expect(names).toContain('k6_gauntlet_req_seconds');
    expect(names).toContain('k6_http_reqs_total');
    const h = series.find((s) => s.labels.some((l) => l.value === 'k6_gauntlet_req_seconds'))!.histograms[0]!;
    expect(h.schema).toBe(3);
    expect(h.positive.reduce((a, [, c]) => a + c, 0) + h.zeroCount).toBe(h.count);
    expect(h.sum / h.count).toBeLessThan(1); // seconds: a loopback request is well under 1 s
    expect(h.timestamp).toBeGreaterThan(1.7e12);
  });
});

describe('receiver', () => {
  it('accepts pushes on an ephemeral loopback port and answers 400 to a body it cannot read', async () => {
    const got: number[] = [];
    const errors: string[] = [];
    const r = await startReceiver({ onPush: (s) => got.push(s.length), onError: (e) => errors.push(e.message) });
    try {
      expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write$/);
      const ok = await fetch(r.url, { method: 'POST', body: body(0), headers: { 'content-encoding': 'snappy' } });
      expect(ok.status).toBe(204);
      const bad = await fetch(r.url, { method: 'POST', body: 'not snappy' });
      expect(bad.status).toBe(400);
      expect(got).toEqual([decodeRemoteWrite(body(0)).length]);
      expect(errors).toHaveLength(1);
      expect(r.pushes()).toBe(1);
    } finally {
      await r.close();
    }
  });
});
