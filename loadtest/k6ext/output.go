// Package k6ext is Gauntlet's k6 output: `--out gauntlet=<path>` aggregates request samples
// into 1-second windows, split by k6 scenario and by the `version` tag, with latency
// histograms bucketed exactly like core/histogram.ts, and writes one NDJSON line per window.
//
// Aggregating in-process keeps up at tens of thousands of requests/s where --out json
// (one line per sample) does not; see docs/adr/0003-k6-live-metrics-channel.md.
package k6ext

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.k6.io/k6/metrics"
	"go.k6.io/k6/output"
)

func init() {
	output.RegisterExtension("gauntlet", New)
}

const (
	histBaseMs = 0.001
	flushEvery = 200 * time.Millisecond
	// A second's window is written once this much time has passed after it ended, so that
	// samples still in k6's pipeline land in it.
	grace = time.Second
)

var logGrowth = math.Log(1.01)

// BucketOf mirrors core/histogram.ts bucketOf.
func BucketOf(ms float64) int {
	if !(ms > histBaseMs) {
		return 0
	}
	return int(math.Ceil(math.Log(ms/histBaseMs) / logGrowth))
}

type key struct {
	sec     int64
	stage   string
	version string
}

type window struct {
	n, fail, dropped int64
	sum, min, max    float64
	b                map[int]int64
}

// Line is one window as written; the Node side maps it onto the run clock.
type Line struct {
	Sec     int64      `json:"sec"`
	Stage   string     `json:"stage,omitempty"`
	Version string     `json:"version,omitempty"`
	N       int64      `json:"n"`
	Fail    int64      `json:"fail"`
	Sum     float64    `json:"sum"`
	Min     float64    `json:"min"`
	Max     float64    `json:"max"`
	B       [][2]int64 `json:"b"`
	Dropped int64      `json:"dropped,omitempty"`
}

// Output implements output.Output.
type Output struct {
	path         string
	durationName string
	failedName   string
	mu           sync.Mutex
	windows      map[key]*window
	lastWritten  int64
	// Time of the first sample k6 produced (the test's start, after VU initialisation), unix ms;
	// written once, before the first window.
	startMs      int64
	startWritten bool
	// Time of the last sample, unix ms: written at Stop, before the last windows, so that the
	// final window ends when the load did rather than at the end of its second.
	lastMs int64
	file   *os.File
	w      *bufio.Writer
	stop   chan struct{}
	done   chan struct{}
	now    func() time.Time
}

// New builds the output; the argument is where to write: fd:N or a path (Gauntlet passes fd:3).
// K6_GAUNTLET_METRICS=duration,failed picks the metrics to count (default: k6's HTTP ones).
func New(p output.Params) (output.Output, error) {
	if p.ConfigArgument == "" {
		return nil, fmt.Errorf("gauntlet output needs a path: --out gauntlet=<path>")
	}
	o := &Output{path: p.ConfigArgument, durationName: "http_req_duration", failedName: "http_req_failed", windows: map[key]*window{}, now: time.Now}
	if m := p.Environment["K6_GAUNTLET_METRICS"]; m != "" {
		parts := strings.SplitN(m, ",", 2)
		if len(parts) != 2 {
			return nil, fmt.Errorf("K6_GAUNTLET_METRICS must be <duration-trend>,<failed-rate>, got %q", m)
		}
		o.durationName, o.failedName = parts[0], parts[1]
	}
	return o, nil
}

// openOut opens "fd:N" (an inherited descriptor: Node's stdio pipes are sockets, which
// /dev/fd/N cannot reopen) or a file path.
func openOut(path string) (*os.File, error) {
	if n, ok := strings.CutPrefix(path, "fd:"); ok {
		fd, err := strconv.Atoi(n)
		if err != nil || fd < 3 {
			return nil, fmt.Errorf("gauntlet output: bad descriptor %q", path)
		}
		return os.NewFile(uintptr(fd), path), nil
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

func (o *Output) Description() string { return "gauntlet (" + o.path + ")" }

func (o *Output) Start() error {
	f, err := openOut(o.path)
	if err != nil {
		return err
	}
	o.file, o.w = f, bufio.NewWriterSize(f, 64*1024)
	o.stop, o.done = make(chan struct{}), make(chan struct{})
	go o.loop()
	return nil
}

func (o *Output) loop() {
	defer close(o.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-o.stop:
			return
		case now := <-t.C:
			o.flush(now.Add(-grace).Unix() - 1)
		}
	}
}

func (o *Output) get(k key) *window {
	if k.sec <= o.lastWritten {
		k.sec = o.lastWritten + 1 // late sample: count it in the first open window
	}
	w := o.windows[k]
	if w == nil {
		w = &window{min: math.Inf(1), max: math.Inf(-1), b: map[int]int64{}}
		o.windows[k] = w
	}
	return w
}

func (o *Output) AddMetricSamples(containers []metrics.SampleContainer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range containers {
		for _, s := range c.GetSamples() {
			ms := s.Time.UnixMilli()
			if o.startMs == 0 || ms < o.startMs && !o.startWritten {
				o.startMs = ms
			}
			if ms > o.lastMs {
				o.lastMs = ms
			}
			name := s.Metric.Name
			switch name {
			case o.durationName, o.failedName, "dropped_iterations":
			default:
				continue
			}
			stage, _ := s.Tags.Get("scenario")
			version, _ := s.Tags.Get("version")
			k := key{sec: s.Time.Unix(), stage: stage, version: version}
			switch name {
			case o.durationName:
				w := o.get(k)
				w.n++
				w.sum += s.Value
				if s.Value < w.min {
					w.min = s.Value
				}
				if s.Value > w.max {
					w.max = s.Value
				}
				w.b[BucketOf(s.Value)]++
			case o.failedName:
				if s.Value != 0 {
					o.get(k).fail++
				}
			default:
				o.get(key{sec: k.sec, stage: stage}).dropped += int64(s.Value)
			}
		}
	}
}

// flush writes every window up to and including second `upTo`.
func (o *Output) flush(upTo int64) {
	o.mu.Lock()
	var keys []key
	for k := range o.windows {
		if k.sec <= upTo {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.sec != b.sec {
			return a.sec < b.sec
		}
		if a.stage != b.stage {
			return a.stage < b.stage
		}
		return a.version < b.version
	})
	lines := make([]Line, 0, len(keys))
	for _, k := range keys {
		lines = append(lines, toLine(k, o.windows[k]))
		delete(o.windows, k)
	}
	if upTo > o.lastWritten {
		o.lastWritten = upTo
	}
	start := int64(0)
	if o.startMs != 0 && !o.startWritten {
		start, o.startWritten = o.startMs, true
	}
	o.mu.Unlock()
	if start != 0 {
		fmt.Fprintf(o.w, "{\"start\":%d}\n", start)
	}
	enc := json.NewEncoder(o.w)
	for i := range lines {
		_ = enc.Encode(&lines[i])
	}
	_ = o.w.Flush()
}

func toLine(k key, w *window) Line {
	l := Line{Sec: k.sec, Stage: k.stage, Version: k.version, N: w.n, Fail: w.fail, Sum: w.sum, Dropped: w.dropped, B: make([][2]int64, 0, len(w.b))}
	if w.n > 0 {
		l.Min, l.Max = w.min, w.max
	}
	for i, c := range w.b {
		l.B = append(l.B, [2]int64{int64(i), c})
	}
	sort.Slice(l.B, func(i, j int) bool { return l.B[i][0] < l.B[j][0] })
	return l
}

func (o *Output) Stop() error {
	close(o.stop)
	<-o.done
	o.mu.Lock()
	last := o.lastMs
	o.mu.Unlock()
	if last != 0 {
		fmt.Fprintf(o.w, "{\"end\":%d}\n", last)
	}
	o.flush(math.MaxInt64)
	return o.file.Close()
}
