import { describe, expect, it } from 'vitest';
import { gatesToThresholds, thresholdsToGates } from './thresholds.ts';

describe('gates → k6 thresholds', () => {
  it('maps latency, error rate and rate gates; a hard gate aborts k6', () => {
    const { thresholds, unmapped } = gatesToThresholds([
      { name: 'p99', metric: 'latency_p99', max: 300, abortOnFail: true },
      { name: 'errors', metric: 'error_rate', max: 0.01, where: { version: 'v2' } },
      { name: 'rate', metric: 'rps', min: 90 },
      { name: 'rollback', metric: 'rollbackSeconds', max: 30 },
      { name: 'during', metric: 'latency_p95', phase: 'during', max: 500 },
    ]);
    expect(thresholds).toEqual({
      http_req_duration: [{ threshold: 'p(99)<=300', abortOnFail: true, delayAbortEval: '5s' }],
      'http_req_failed{version:v2}': ['rate<=0.01'],
      http_reqs: ['rate>=90'],
    });
    expect(unmapped.map((u) => u.gate)).toEqual(['rollback', 'during']);
  });
});

describe('k6 thresholds → gates', () => {
  it('reads the thresholds of the k6 examples', () => {
    const { gates, unmapped } = thresholdsToGates(
      {
        http_req_failed: ['rate<0.01'],
        http_req_duration: ['p(95)<200', 'med<100', { threshold: 'max<1000', abortOnFail: true }],
        'http_req_duration{scenario:hold}': ['p(99) < 300'],
        http_reqs: ['count>=1000'],
        'http_req_duration{expected_response:true}': ['avg<100'],
        checks: ['rate>0.99'],
      },
      'load',
    );
    expect(gates).toEqual([
      { name: 'k6: http_req_failed rate<0.01', metric: 'error_rate', max: 0.01, step: 'load' },
      { name: 'k6: http_req_duration p(95)<200', metric: 'latency_p95', max: 200, step: 'load' },
      { name: 'k6: http_req_duration med<100', metric: 'latency_p50', max: 100, step: 'load' },
      { name: 'k6: http_req_duration max<1000', metric: 'latency_max', max: 1000, step: 'load', abortOnFail: true },
      { name: 'k6: http_req_duration{scenario:hold} p(99) < 300', metric: 'latency_p99', max: 300, where: { stage: 'hold' }, step: 'load' },
      { name: 'k6: http_reqs count>=1000', metric: 'requests', min: 1000, step: 'load' },
    ]);
    expect(unmapped).toHaveLength(2);
    expect(unmapped[0]!.why).toContain('expected_response');
  });

  it('round-trips a gate through k6 and back', () => {
    const { thresholds } = gatesToThresholds([{ name: 'p95', metric: 'latency_p95', max: 250, where: { stage: 'hold' } }]);
    const { gates } = thresholdsToGates(thresholds);
    expect(gates[0]).toMatchObject({ metric: 'latency_p95', max: 250, where: { stage: 'hold' } });
  });
});
