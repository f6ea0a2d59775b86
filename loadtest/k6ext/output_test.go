package k6ext

import "testing"

// The bucket index must match core/histogram.ts bucketOf, or windows would not merge.
func TestBucketOfMatchesNode(t *testing.T) {
	cases := map[float64]int{0: 0, 0.001: 0, 0.0011: 10, 1: 695, 100: 1158, 1000: 1389}
	for ms, want := range cases {
		if got := BucketOf(ms); got != want {
			t.Errorf("BucketOf(%v) = %d, want %d", ms, got, want)
		}
	}
}
