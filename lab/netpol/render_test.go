package main

// Unit tests for Render, the pure half of the enforcer. Two kinds of assertion:
//   - semantics: the rendered ruleset is parsed into a small model of nftables (only the grammar
//     Render emits; anything else fails the test) and new connections are walked through the
//     hooks they cross in the lab: the source node's forward hook (input when the destination is
//     that node itself) and the destination node's forward hook. Traffic a node originates leaves
//     by its output hook, which the table does not have: a node's own traffic is always allowed
//     (documented, like kube-router). Established/related traffic is accepted first in both hooks.
//   - text: exact rule strings and one whole golden ruleset pin the rendering.
// When `nft` and unshare(1) are available, every rendered ruleset is also checked with `nft -c`
// inside a new, empty network namespace (nothing is applied anywhere).
//
// IPv6 is out of scope: the lab is IPv4-only, pod IPs and rules are IPv4 ("ip saddr/daddr"); the
// one IPv6 behaviour pinned here is that an IPv6 ipBlock is ignored rather than breaking the table.

import (
	"fmt"
	"net/netip"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ---- the test cluster ------------------------------------------------------------------------

// Two nodes, addressed like the lab (10.77.0.1x on the bridge, 10.78.N.0/24 pod ranges).
var nodeIP = map[string]string{"n1": "10.77.0.11", "n2": "10.77.0.12"}

const hostIP = "10.77.0.1" // the machine on the lab bridge (DNS): not a node

func lbl(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func sel(kv ...string) *metav1.LabelSelector { return &metav1.LabelSelector{MatchLabels: lbl(kv...)} }

func mkNS(name string, kv ...string) *corev1.Namespace {
	l := lbl(kv...)
	l["kubernetes.io/metadata.name"] = name // set by the API server on every namespace
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}
}

func cport(name string, port int32, proto corev1.Protocol) corev1.ContainerPort {
	return corev1.ContainerPort{Name: name, ContainerPort: port, Protocol: proto}
}

func mkPod(ns, name, node, ip string, labels map[string]string, ports ...corev1.ContainerPort) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Ports: ports}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
	}
}

func mkPolicy(ns, name string, spec netv1.NetworkPolicySpec) *netv1.NetworkPolicy {
	return &netv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
}

var (
	ingressOnly = []netv1.PolicyType{netv1.PolicyTypeIngress}
	egressOnly  = []netv1.PolicyType{netv1.PolicyTypeEgress}
	bothTypes   = []netv1.PolicyType{netv1.PolicyTypeIngress, netv1.PolicyTypeEgress}
	tcp, udp    = corev1.ProtocolTCP, corev1.ProtocolUDP
	sctp        = corev1.ProtocolSCTP
)

func port(proto *corev1.Protocol, p any) netv1.NetworkPolicyPort {
	pp := netv1.NetworkPolicyPort{Protocol: proto}
	switch v := p.(type) {
	case int:
		x := intstr.FromInt32(int32(v))
		pp.Port = &x
	case string:
		x := intstr.FromString(v)
		pp.Port = &x
	}
	return pp
}

func portRange(proto *corev1.Protocol, from, to int32) netv1.NetworkPolicyPort {
	pp := port(proto, int(from))
	pp.EndPort = &to
	return pp
}

func podPeer(s *metav1.LabelSelector) netv1.NetworkPolicyPeer {
	return netv1.NetworkPolicyPeer{PodSelector: s}
}
func nsPeer(s *metav1.LabelSelector) netv1.NetworkPolicyPeer {
	return netv1.NetworkPolicyPeer{NamespaceSelector: s}
}
func ipPeer(cidr string, except ...string) netv1.NetworkPolicyPeer {
	return netv1.NetworkPolicyPeer{IPBlock: &netv1.IPBlock{CIDR: cidr, Except: except}}
}

// baseWorld: namespaces prod (env=prod), dev (env=dev), other (env=staging); pods on both nodes.
// web-1 and web-2 name different numbers "http", so named ports must resolve per pod.
func baseWorld() *World {
	return &World{
		Namespaces: []*corev1.Namespace{mkNS("prod", "env", "prod"), mkNS("dev", "env", "dev"), mkNS("other", "env", "staging")},
		Pods: []*corev1.Pod{
			mkPod("prod", "web-1", "n1", "10.78.1.10", lbl("app", "web"), cport("http", 8080, tcp), cport("dns", 53, udp)),
			mkPod("prod", "web-2", "n2", "10.78.2.10", lbl("app", "web"), cport("http", 9090, tcp)),
			mkPod("prod", "db", "n1", "10.78.1.11", lbl("app", "db"), cport("pg", 5432, tcp)),
			mkPod("prod", "client", "n1", "10.78.1.12", lbl("app", "client")),
			mkPod("dev", "client", "n2", "10.78.2.12", lbl("app", "client")),
			mkPod("dev", "web", "n1", "10.78.1.13", lbl("app", "web"), cport("http", 8080, tcp)),
			mkPod("other", "client", "n1", "10.78.1.14", lbl("app", "client")),
		},
	}
}

// ---- a model of the nftables subset Render emits ---------------------------------------------

type packet struct {
	src, dst netip.Addr
	proto    string
	dport    int
}

type nftRule struct {
	text    string
	matches []func(packet) bool
	verdict string // accept, drop, return, jump
	target  string
}

type ruleset struct {
	hooks  map[string][]nftRule // base chains by hook
	chains map[string][]nftRule // regular chains by name
}

// tokens splits a rule, keeping "quoted strings" and { sets } as one token each.
func tokens(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		switch s[0] {
		case '"':
			end := strings.IndexByte(s[1:], '"') + 2
			out, s = append(out, s[:end]), s[end:]
		case '{':
			end := strings.IndexByte(s, '}') + 1
			out, s = append(out, s[:end]), s[end:]
		default:
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			out, s = append(out, s[:end]), s[end:]
		}
	}
	return out
}

func prefixes(t *testing.T, tok string) []netip.Prefix {
	t.Helper()
	items := []string{tok}
	if strings.HasPrefix(tok, "{") {
		items = strings.Split(strings.Trim(tok, "{} "), ",")
	}
	var out []netip.Prefix
	for _, it := range items {
		it = strings.TrimSpace(it)
		if !strings.Contains(it, "/") {
			it += "/32"
		}
		p, err := netip.ParsePrefix(it)
		if err != nil || !p.Addr().Is4() {
			t.Fatalf("not an IPv4 address or prefix in a rule: %q", it)
		}
		out = append(out, p.Masked())
	}
	return out
}

func parseRule(t *testing.T, line string) nftRule {
	t.Helper()
	r := nftRule{text: line}
	tk := tokens(line)
	next := func(i *int) string {
		*i++
		if *i >= len(tk) {
			t.Fatalf("rule ends early: %q", line)
		}
		return tk[*i]
	}
	for i := 0; i < len(tk); i++ {
		switch w := tk[i]; w {
		case "ip":
			field := next(&i)
			if field != "saddr" && field != "daddr" {
				t.Fatalf("unknown ip field %q in %q", field, line)
			}
			neg := false
			v := next(&i)
			if v == "!=" {
				neg, v = true, next(&i)
			}
			ps := prefixes(t, v)
			r.matches = append(r.matches, func(p packet) bool {
				a := p.src
				if field == "daddr" {
					a = p.dst
				}
				in := false
				for _, x := range ps {
					in = in || x.Contains(a)
				}
				return in != neg
			})
		case "tcp", "udp", "sctp":
			if next(&i) != "dport" {
				t.Fatalf("expected dport in %q", line)
			}
			v := next(&i)
			lo, hi, isRange := strings.Cut(v, "-")
			a, err1 := strconv.Atoi(lo)
			b, err2 := a, error(nil)
			if isRange {
				b, err2 = strconv.Atoi(hi)
			}
			if err1 != nil || err2 != nil || b < a {
				t.Fatalf("bad port %q in %q", v, line)
			}
			r.matches = append(r.matches, func(p packet) bool { return p.proto == w && p.dport >= a && p.dport <= b })
		case "meta":
			if next(&i) != "l4proto" {
				t.Fatalf("unknown meta in %q", line)
			}
			pr := next(&i)
			r.matches = append(r.matches, func(p packet) bool { return p.proto == pr })
		case "ct":
			if next(&i) != "state" || next(&i) != "established,related" {
				t.Fatalf("unknown ct match in %q", line)
			}
			r.matches = append(r.matches, func(packet) bool { return false }) // the model sends new connections only
		case "counter":
		case "comment":
			next(&i)
		case "accept", "drop", "return":
			r.verdict = w
		case "jump":
			r.verdict, r.target = w, next(&i)
		default:
			t.Fatalf("token %q not understood in rule %q", w, line)
		}
	}
	if r.verdict == "" {
		t.Fatalf("rule without a verdict: %q", line)
	}
	return r
}

func parseRuleset(t *testing.T, text, table string) *ruleset {
	t.Helper()
	head := fmt.Sprintf("table inet %s\ndelete table inet %s\ntable inet %s {\n", table, table, table)
	if !strings.HasPrefix(text, head) || !strings.HasSuffix(text, "\n}\n") {
		t.Fatalf("ruleset does not replace table %s atomically:\n%s", table, text)
	}
	rs := &ruleset{hooks: map[string][]nftRule{}, chains: map[string][]nftRule{}}
	var name, hook string
	var rules []nftRule
	in := false
	for _, line := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(text, head), "}\n"), "\n") {
		l := strings.TrimSpace(line)
		switch {
		case l == "":
		case strings.HasPrefix(l, "chain ") && strings.HasSuffix(l, " {"):
			if in {
				t.Fatalf("nested chain: %q", l)
			}
			name, hook, rules, in = strings.TrimSuffix(strings.TrimPrefix(l, "chain "), " {"), "", nil, true
		case strings.HasPrefix(l, "type filter hook "):
			f := strings.Fields(l) // type filter hook H priority -10; policy accept;
			if len(f) != 8 || f[5] != "-10;" || f[7] != "accept;" {
				t.Fatalf("unexpected base chain header %q", l)
			}
			hook = f[3]
		case l == "}":
			if !in {
				t.Fatalf("stray }")
			}
			if hook != "" {
				if _, dup := rs.hooks[hook]; dup {
					t.Fatalf("two base chains on hook %s", hook)
				}
				rs.hooks[hook] = rules
			} else {
				if _, dup := rs.chains[name]; dup {
					t.Fatalf("chain %s declared twice", name)
				}
				rs.chains[name] = rules
			}
			in = false
		default:
			if !in {
				t.Fatalf("rule outside a chain: %q", l)
			}
			rules = append(rules, parseRule(t, l))
		}
	}
	if in {
		t.Fatalf("unterminated chain %s", name)
	}
	var hooks []string
	for h := range rs.hooks {
		hooks = append(hooks, h)
	}
	sort.Strings(hooks)
	if strings.Join(hooks, ",") != "forward,input" { // no output hook: a node's own traffic is never filtered
		t.Fatalf("base chains on hooks %v, want forward and input", hooks)
	}
	for h, rules := range rs.hooks {
		if len(rules) == 0 || rules[0].text != "ct state established,related accept" {
			t.Fatalf("%s hook does not accept established/related traffic first", h)
		}
		for _, r := range rules[1:] {
			if r.verdict != "jump" || rs.chains[r.target] == nil {
				t.Fatalf("%s hook: %q is not a jump to a declared chain", h, r.text)
			}
		}
	}
	return rs
}

func (rs *ruleset) runChain(t *testing.T, name string, p packet, depth int) string {
	if depth > 8 {
		t.Fatalf("jump loop at %s", name)
	}
	for _, r := range rs.chains[name] {
		if !all(r.matches, p) {
			continue
		}
		switch r.verdict {
		case "return":
			return "return"
		case "jump":
			if v := rs.runChain(t, r.target, p, depth+1); v != "return" {
				return v
			}
		default:
			return r.verdict
		}
	}
	return "return"
}

// verdict: true when a new connection's first packet passes the base chain on hook.
func (rs *ruleset) verdict(t *testing.T, hook string, p packet) bool {
	for _, r := range rs.hooks[hook] {
		if !all(r.matches, p) {
			continue
		}
		switch r.verdict {
		case "accept":
			return true
		case "drop":
			return false
		case "jump":
			switch rs.runChain(t, r.target, p, 0) {
			case "drop":
				return false
			case "accept":
				return true
			}
		}
	}
	return true // policy accept
}

func all(ms []func(packet) bool, p packet) bool {
	for _, m := range ms {
		if !m(p) {
			return false
		}
	}
	return true
}

// ---- nft -c, when available ------------------------------------------------------------------

var nftProbe struct {
	once sync.Once
	ok   bool
}

// nftCheck has nft parse and validate the ruleset (-c: nothing is applied) in a new user and
// network namespace, so it never touches a real node. Silently a no-op where that cannot run.
func nftCheck(t *testing.T, text string) {
	t.Helper()
	run := func(s string) ([]byte, error) {
		cmd := exec.Command("unshare", "-rn", "nft", "-c", "-f", "-")
		cmd.Stdin = strings.NewReader(s)
		return cmd.CombinedOutput()
	}
	nftProbe.once.Do(func() {
		_, err := run("table inet probe {\n}\n")
		nftProbe.ok = err == nil
	})
	if !nftProbe.ok {
		return
	}
	if out, err := run(text); err != nil {
		t.Errorf("nft -c rejects the ruleset: %v\n%s\n%s", err, out, text)
	}
}

func TestNftCheckAvailable(t *testing.T) {
	nftCheck(t, "table inet probe {\n}\n")
	if !nftProbe.ok {
		t.Skip("nft or unshare -rn unavailable: rulesets are checked by the model only")
	}
}

// ---- the cluster walk ------------------------------------------------------------------------

type cluster struct {
	t     *testing.T
	w     *World
	rules map[string]*ruleset
}

func newCluster(t *testing.T, w *World) *cluster {
	c := &cluster{t: t, w: w, rules: map[string]*ruleset{}}
	for node := range nodeIP {
		nw := *w
		nw.Node = node
		text := Render(&nw, "gauntlet_netpol")
		c.rules[node] = parseRuleset(t, text, "gauntlet_netpol")
		nftCheck(t, text)
	}
	return c
}

// addr: "ns/name" is that pod's IP, "node:N" node N's address, anything else an IPv4 address.
func (c *cluster) addr(s string) netip.Addr {
	if n, ok := strings.CutPrefix(s, "node:"); ok {
		s = nodeIP[n]
	} else if strings.Contains(s, "/") {
		for _, p := range c.w.Pods {
			if p.Namespace+"/"+p.Name == s {
				s = p.Status.PodIP
			}
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		c.t.Fatalf("no address for %q", s)
	}
	return a
}

func (c *cluster) podAt(a netip.Addr) *corev1.Pod {
	for _, p := range c.w.Pods {
		if live(p) && p.Status.PodIP == a.String() {
			return p
		}
	}
	return nil
}

// allowed: does a new connection from -> to pass every enforcer on its way?
func (c *cluster) allowed(from, to, proto string, dport int) bool {
	p := packet{src: c.addr(from), dst: c.addr(to), proto: proto, dport: dport}
	src, dst := c.podAt(p.src), c.podAt(p.dst)
	if src != nil {
		hook := "forward"
		if p.dst.String() == nodeIP[src.Spec.NodeName] {
			hook = "input" // to the node that hosts the pod
		}
		if !c.rules[src.Spec.NodeName].verdict(c.t, hook, p) {
			return false
		}
	}
	if dst != nil && (src == nil || src.Spec.NodeName != dst.Spec.NodeName) {
		if p.src.String() == nodeIP[dst.Spec.NodeName] {
			return true // the node's own traffic leaves by output: no hook of ours
		}
		return c.rules[dst.Spec.NodeName].verdict(c.t, "forward", p)
	}
	return true
}

type flow struct {
	from, to string
	proto    string
	port     int
	want     bool
}

func allow(from, to, proto string, port int) flow { return flow{from, to, proto, port, true} }
func deny(from, to, proto string, port int) flow  { return flow{from, to, proto, port, false} }

// ---- semantics -------------------------------------------------------------------------------

func TestRenderSemantics(t *testing.T) {
	const ext, ext2 = "192.0.2.10", "198.51.100.1"
	cases := []struct {
		name     string
		policies []*netv1.NetworkPolicy
		extra    []*corev1.Pod
		flows    []flow
	}{
		{
			name: "no policies: nothing is isolated",
			flows: []flow{
				allow("prod/client", "prod/db", "tcp", 5432), allow("dev/client", "prod/web-1", "tcp", 8080),
				allow("prod/web-1", ext, "udp", 53), allow("prod/client", "node:n1", "tcp", 10250),
				allow(ext, "prod/db", "tcp", 5432),
			},
		},
		{
			name: "a namespace with no policy is not isolated by another namespace's policy",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "deny-all", netv1.NetworkPolicySpec{PolicyTypes: bothTypes}),
			},
			flows: []flow{
				allow("dev/client", "dev/web", "tcp", 8080), allow("dev/web", ext, "tcp", 443),
				allow("other/client", "dev/web", "tcp", 8080), allow(ext, "dev/web", "tcp", 8080),
				deny("prod/client", "prod/db", "tcp", 5432), deny("dev/client", "prod/web-1", "tcp", 8080),
				deny("prod/client", "dev/web", "tcp", 8080), deny("prod/web-2", "dev/web", "tcp", 8080),
			},
		},
		{
			name: "policyTypes [Egress] with no rules isolates egress only, of the selected pods only",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "client-no-egress", netv1.NetworkPolicySpec{PodSelector: *sel("app", "client"), PolicyTypes: egressOnly}),
			},
			flows: []flow{
				deny("prod/client", "prod/db", "tcp", 5432), deny("prod/client", "prod/web-2", "tcp", 9090),
				deny("prod/client", ext, "udp", 53), deny("prod/client", hostIP, "udp", 53),
				deny("prod/client", "node:n1", "tcp", 10250), deny("prod/client", "node:n2", "tcp", 10250),
				allow("prod/db", "prod/client", "tcp", 80), allow("dev/client", "prod/client", "tcp", 80),
				allow("node:n1", "prod/client", "tcp", 80),
				allow("prod/db", ext, "tcp", 443), allow("dev/client", ext, "tcp", 443),
			},
		},
		{
			name: "policyTypes without Egress does not isolate egress, even with egress rules",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "client-ingress", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "client"), PolicyTypes: ingressOnly,
					Egress: []netv1.NetworkPolicyEgressRule{{To: []netv1.NetworkPolicyPeer{ipPeer("192.0.2.0/24")}}},
				}),
			},
			flows: []flow{
				allow("prod/client", ext2, "tcp", 443), allow("prod/client", "prod/db", "tcp", 5432),
				deny("prod/db", "prod/client", "tcp", 80), deny(ext, "prod/client", "tcp", 80),
			},
		},
		{
			name: "policyTypes omitted: Ingress always, Egress when there are egress rules",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "client-default", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "client"),
					Egress:      []netv1.NetworkPolicyEgressRule{{To: []netv1.NetworkPolicyPeer{ipPeer("192.0.2.0/24")}}},
				}),
				mkPolicy("prod", "db-default", netv1.NetworkPolicySpec{PodSelector: *sel("app", "db")}),
			},
			flows: []flow{
				allow("prod/client", ext, "tcp", 443), deny("prod/client", ext2, "tcp", 443),
				deny("prod/web-1", "prod/client", "tcp", 80),
				allow("prod/db", ext2, "tcp", 443), deny("prod/web-1", "prod/db", "tcp", 5432),
			},
		},
		{
			name: "egress [{}] allows all egress, also in union with a deny-all",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "deny-all", netv1.NetworkPolicySpec{PolicyTypes: egressOnly}),
				mkPolicy("prod", "client-any", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "client"), PolicyTypes: egressOnly,
					Egress: []netv1.NetworkPolicyEgressRule{{}},
				}),
			},
			flows: []flow{
				allow("prod/client", ext2, "tcp", 443), allow("prod/client", ext, "udp", 53),
				allow("prod/client", "prod/db", "tcp", 5432), allow("prod/client", "node:n1", "tcp", 10250),
				allow("prod/client", "dev/client", "sctp", 9),
				deny("prod/db", ext, "tcp", 443),
			},
		},
		{
			name: "podSelector {} selects every pod of the policy's namespace and no other",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "deny-ingress", netv1.NetworkPolicySpec{PolicyTypes: ingressOnly}),
			},
			flows: []flow{
				deny("dev/client", "prod/web-1", "tcp", 8080), deny("dev/client", "prod/web-2", "tcp", 9090),
				deny("other/client", "prod/db", "tcp", 5432), deny("prod/client", "prod/db", "tcp", 5432),
				allow("prod/client", "dev/web", "tcp", 8080), allow("prod/client", ext, "tcp", 443),
			},
		},
		{
			name: "namespaceSelector and podSelector in one peer: both must match",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "db-from-dev-clients", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "db"), PolicyTypes: ingressOnly,
					Ingress: []netv1.NetworkPolicyIngressRule{{From: []netv1.NetworkPolicyPeer{
						{NamespaceSelector: sel("env", "dev"), PodSelector: sel("app", "client")},
					}}},
				}),
			},
			flows: []flow{
				allow("dev/client", "prod/db", "tcp", 5432),
				deny("prod/client", "prod/db", "tcp", 5432), deny("dev/web", "prod/db", "tcp", 5432),
				deny("other/client", "prod/db", "tcp", 5432),
			},
		},
		{
			name: "separate peers: either may match; a bare podSelector means the policy's namespace",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "db-from-dev-or-clients", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "db"), PolicyTypes: ingressOnly,
					Ingress: []netv1.NetworkPolicyIngressRule{{From: []netv1.NetworkPolicyPeer{
						nsPeer(sel("env", "dev")), podPeer(sel("app", "client")),
					}}},
				}),
			},
			flows: []flow{
				allow("dev/client", "prod/db", "tcp", 5432), allow("dev/web", "prod/db", "tcp", 5432),
				allow("prod/client", "prod/db", "tcp", 5432),
				deny("other/client", "prod/db", "tcp", 5432), deny("prod/web-1", "prod/db", "tcp", 5432),
				deny(ext, "prod/db", "tcp", 5432),
			},
		},
		{
			name: "namespaceSelector {} means every namespace",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "db-from-any-client", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "db"), PolicyTypes: ingressOnly,
					Ingress: []netv1.NetworkPolicyIngressRule{{From: []netv1.NetworkPolicyPeer{
						{NamespaceSelector: &metav1.LabelSelector{}, PodSelector: sel("app", "client")},
					}}},
				}),
			},
			flows: []flow{
				allow("other/client", "prod/db", "tcp", 5432), allow("dev/client", "prod/db", "tcp", 5432),
				allow("prod/client", "prod/db", "tcp", 5432), deny("dev/web", "prod/db", "tcp", 5432),
			},
		},
		{
			name: "multiple policies selecting a pod: the union of what they allow",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "db-clients", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "db"), PolicyTypes: ingressOnly,
					Ingress: []netv1.NetworkPolicyIngressRule{{
						From: []netv1.NetworkPolicyPeer{podPeer(sel("app", "client"))}, Ports: []netv1.NetworkPolicyPort{port(nil, 5432)},
					}},
				}),
				mkPolicy("prod", "db-web", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "db"), PolicyTypes: ingressOnly,
					Ingress: []netv1.NetworkPolicyIngressRule{{From: []netv1.NetworkPolicyPeer{podPeer(sel("app", "web"))}}},
				}),
			},
			flows: []flow{
				allow("prod/client", "prod/db", "tcp", 5432), deny("prod/client", "prod/db", "tcp", 22),
				allow("prod/web-1", "prod/db", "tcp", 22), allow("prod/web-2", "prod/db", "udp", 53),
				deny("dev/client", "prod/db", "tcp", 5432),
			},
		},
		{
			name: "ipBlock with except, egress and ingress",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "client-pods-not-n2", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "client"), PolicyTypes: egressOnly,
					Egress: []netv1.NetworkPolicyEgressRule{{To: []netv1.NetworkPolicyPeer{ipPeer("10.78.0.0/16", "10.78.2.0/24")}}},
				}),
				mkPolicy("prod", "db-not-prod-client", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "db"), PolicyTypes: ingressOnly,
					Ingress: []netv1.NetworkPolicyIngressRule{{From: []netv1.NetworkPolicyPeer{ipPeer("10.78.0.0/16", "10.78.1.12/32", "10.78.1.14/32")}}},
				}),
			},
			flows: []flow{
				allow("prod/client", "prod/web-1", "tcp", 8080), deny("prod/client", "prod/web-2", "tcp", 9090),
				deny("prod/client", ext, "tcp", 443), deny("prod/client", "node:n1", "tcp", 10250),
				deny("prod/client", "prod/db", "tcp", 5432), // its own egress allows it, db's ingress excepts it
				allow("dev/client", "prod/db", "tcp", 5432), deny("other/client", "prod/db", "tcp", 5432),
				deny(ext, "prod/db", "tcp", 5432), deny("node:n2", "prod/db", "tcp", 5432),
			},
		},
		{
			name: "ports: TCP by default, UDP, endPort ranges, protocol without port",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "db-ports", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "db"), PolicyTypes: ingressOnly,
					Ingress: []netv1.NetworkPolicyIngressRule{{Ports: []netv1.NetworkPolicyPort{
						port(nil, 5432), port(&udp, 53), portRange(&tcp, 6000, 6010), port(&sctp, nil),
					}}},
				}),
			},
			flows: []flow{
				allow("prod/client", "prod/db", "tcp", 5432), deny("prod/client", "prod/db", "udp", 5432),
				allow("dev/client", "prod/db", "udp", 53), deny("dev/client", "prod/db", "tcp", 53),
				deny(ext, "prod/db", "tcp", 5999), allow(ext, "prod/db", "tcp", 6000), allow(ext, "prod/db", "tcp", 6005),
				allow(ext, "prod/db", "tcp", 6010), deny(ext, "prod/db", "tcp", 6011), deny(ext, "prod/db", "udp", 6005),
				allow(ext, "prod/db", "sctp", 7), allow(ext, "prod/db", "sctp", 60000),
			},
		},
		{
			name: "named ingress ports resolve against each selected (destination) pod",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "web-http", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "web"), PolicyTypes: ingressOnly,
					Ingress: []netv1.NetworkPolicyIngressRule{{Ports: []netv1.NetworkPolicyPort{port(nil, "http"), port(&udp, "dns"), port(nil, "pg")}}},
				}),
			},
			flows: []flow{
				allow("dev/client", "prod/web-1", "tcp", 8080), deny("dev/client", "prod/web-1", "tcp", 9090),
				allow("prod/client", "prod/web-2", "tcp", 9090), deny("prod/client", "prod/web-2", "tcp", 8080),
				allow("prod/client", "prod/web-1", "udp", 53), deny("prod/client", "prod/web-1", "tcp", 53),
				deny("prod/client", "prod/web-2", "udp", 53),   // web-2 names no dns port
				deny("prod/client", "prod/web-1", "tcp", 5432), // "pg" is a db port, not web's
			},
		},
		{
			name: "named egress ports resolve against each destination pod",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "client-to-web-http", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "client"), PolicyTypes: egressOnly,
					Egress: []netv1.NetworkPolicyEgressRule{{
						To:    []netv1.NetworkPolicyPeer{nsPeer(&metav1.LabelSelector{})},
						Ports: []netv1.NetworkPolicyPort{port(nil, "http")},
					}},
				}),
			},
			flows: []flow{
				allow("prod/client", "prod/web-1", "tcp", 8080), deny("prod/client", "prod/web-1", "tcp", 9090),
				allow("prod/client", "prod/web-2", "tcp", 9090), deny("prod/client", "prod/web-2", "tcp", 8080),
				allow("prod/client", "dev/web", "tcp", 8080), deny("prod/client", "prod/db", "tcp", 5432),
				deny("prod/client", ext, "tcp", 8080),
			},
		},
		{
			// Bug fixed 2026-11-22: a named egress port in a rule with no `to` was dropped (it could
			// not resolve without a destination pod), so the rule allowed nothing at all.
			name: "named egress ports with no peers: any destination pod that names the port",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "client-http-anywhere", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "client"), PolicyTypes: egressOnly,
					Egress: []netv1.NetworkPolicyEgressRule{{Ports: []netv1.NetworkPolicyPort{port(nil, "http"), port(&udp, 53)}}},
				}),
			},
			flows: []flow{
				allow("prod/client", "prod/web-1", "tcp", 8080), allow("prod/client", "prod/web-2", "tcp", 9090),
				allow("prod/client", "dev/web", "tcp", 8080), deny("prod/client", "prod/web-1", "tcp", 9090),
				deny("prod/client", "prod/db", "tcp", 5432), deny("prod/client", ext, "tcp", 8080),
				allow("prod/client", ext, "udp", 53), allow("prod/client", hostIP, "udp", 53),
			},
		},
		{
			name: "the node itself may always reach its pods; other nodes and the host may not",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "deny-ingress", netv1.NetworkPolicySpec{PolicyTypes: ingressOnly}),
			},
			flows: []flow{
				allow("node:n1", "prod/web-1", "tcp", 8080), allow("node:n1", "prod/db", "tcp", 5432),
				allow("node:n2", "prod/web-2", "tcp", 9090),
				deny("node:n2", "prod/web-1", "tcp", 8080), deny("node:n1", "prod/web-2", "tcp", 9090),
				deny(hostIP, "prod/web-1", "tcp", 8080),
			},
		},
		{
			name: "pods that are not running with an IP are neither guarded nor peers",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "db-from-clients", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "db"), PolicyTypes: ingressOnly,
					Ingress: []netv1.NetworkPolicyIngressRule{{From: []netv1.NetworkPolicyPeer{podPeer(sel("app", "client"))}}},
				}),
			},
			extra: []*corev1.Pod{
				func() *corev1.Pod { // finished: its IP may be reused, it must not be allowed
					p := mkPod("prod", "client-done", "n1", "10.78.1.99", lbl("app", "client"))
					p.Status.Phase = corev1.PodSucceeded
					return p
				}(),
			},
			flows: []flow{
				allow("prod/client", "prod/db", "tcp", 5432), deny("10.78.1.99", "prod/db", "tcp", 5432),
			},
		},
		{
			// Bug fixed 2026-11-22: an IPv6 ipBlock rendered as "ip daddr 2001:db8::/32", which nft
			// rejects, so the node's whole ruleset failed to apply and the previous one stayed.
			name: "an IPv6 ipBlock matches nothing and leaves the table valid",
			policies: []*netv1.NetworkPolicy{
				mkPolicy("prod", "client-dual-stack-manifest", netv1.NetworkPolicySpec{
					PodSelector: *sel("app", "client"), PolicyTypes: bothTypes,
					Egress: []netv1.NetworkPolicyEgressRule{{To: []netv1.NetworkPolicyPeer{ipPeer("192.0.2.0/24"), ipPeer("2001:db8::/32")}}},
					Ingress: []netv1.NetworkPolicyIngressRule{
						{From: []netv1.NetworkPolicyPeer{ipPeer("::/0")}},
						{From: []netv1.NetworkPolicyPeer{ipPeer("10.78.2.0/24")}},
					},
				}),
			},
			flows: []flow{
				allow("prod/client", ext, "tcp", 443), deny("prod/client", ext2, "tcp", 443),
				allow("dev/client", "prod/client", "tcp", 80), deny("prod/db", "prod/client", "tcp", 80),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := baseWorld()
			w.Pods = append(w.Pods, tc.extra...)
			w.Policies = tc.policies
			c := newCluster(t, w)
			for _, f := range tc.flows {
				if got := c.allowed(f.from, f.to, f.proto, f.port); got != f.want {
					t.Errorf("%s -> %s %s/%d: allowed=%v, want %v", f.from, f.to, f.proto, f.port, got, f.want)
				}
			}
			if t.Failed() {
				t.Logf("n1:\n%s", Render(&World{Node: "n1", Pods: w.Pods, Namespaces: w.Namespaces, Policies: w.Policies}, "gauntlet_netpol"))
			}
		})
	}
}

// ---- text ------------------------------------------------------------------------------------

// chainOf returns the rules of the chain the forward hook jumps to for a pod, by its comment.
func chainOf(t *testing.T, text, pod, field string) []string {
	t.Helper()
	var name string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, field+" ") && strings.HasSuffix(l, fmt.Sprintf("comment %q", pod)) {
			name = strings.Fields(l)[4]
			break
		}
	}
	if name == "" {
		return nil
	}
	_, rest, _ := strings.Cut(text, "  chain "+name+" {\n")
	body, _, _ := strings.Cut(rest, "\n  }")
	var out []string
	for _, l := range strings.Split(body, "\n") {
		out = append(out, strings.TrimSpace(l))
	}
	return out
}

func TestRenderRuleText(t *testing.T) {
	ports := func(pp ...netv1.NetworkPolicyPort) []netv1.NetworkPolicyPort { return pp }
	cases := []struct {
		name   string
		policy *netv1.NetworkPolicy
		pod    string
		field  string // "ip daddr": the pod's ingress chain, "ip saddr": its egress chain
		want   []string
	}{
		{
			name:   "egress isolation without rules is a lone drop",
			policy: mkPolicy("prod", "p", netv1.NetworkPolicySpec{PodSelector: *sel("app", "client"), PolicyTypes: egressOnly}),
			pod:    "prod/client", field: "ip saddr",
			want: []string{"counter drop"},
		},
		{
			name: "egress [{}] is an unconditional return",
			policy: mkPolicy("prod", "p", netv1.NetworkPolicySpec{
				PodSelector: *sel("app", "client"), PolicyTypes: egressOnly, Egress: []netv1.NetworkPolicyEgressRule{{}},
			}),
			pod: "prod/client", field: "ip saddr",
			want: []string{"return", "counter drop"},
		},
		{
			name: "ipBlock with except and ports, ingress",
			policy: mkPolicy("prod", "p", netv1.NetworkPolicySpec{
				PodSelector: *sel("app", "db"), PolicyTypes: ingressOnly,
				Ingress: []netv1.NetworkPolicyIngressRule{{
					From:  []netv1.NetworkPolicyPeer{ipPeer("10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16")},
					Ports: ports(port(nil, 5432), port(&udp, 53), portRange(&tcp, 6000, 6010), port(&udp, nil), port(nil, "pg")),
				}},
			}),
			pod: "prod/db", field: "ip daddr",
			want: []string{
				"ip saddr 10.0.0.0/8 ip saddr != { 10.1.0.0/16, 10.2.0.0/16 } tcp dport 5432 return",
				"ip saddr 10.0.0.0/8 ip saddr != { 10.1.0.0/16, 10.2.0.0/16 } udp dport 53 return",
				"ip saddr 10.0.0.0/8 ip saddr != { 10.1.0.0/16, 10.2.0.0/16 } tcp dport 6000-6010 return",
				"ip saddr 10.0.0.0/8 ip saddr != { 10.1.0.0/16, 10.2.0.0/16 } meta l4proto udp return",
				"ip saddr 10.0.0.0/8 ip saddr != { 10.1.0.0/16, 10.2.0.0/16 } tcp dport 5432 return",
				"counter drop",
			},
		},
		{
			name: "pod peers become one rule per live pod address",
			policy: mkPolicy("prod", "p", netv1.NetworkPolicySpec{
				PodSelector: *sel("app", "client"), PolicyTypes: egressOnly,
				Egress: []netv1.NetworkPolicyEgressRule{{To: []netv1.NetworkPolicyPeer{podPeer(sel("app", "web"))}, Ports: ports(port(nil, "http"))}},
			}),
			pod: "prod/client", field: "ip saddr",
			want: []string{"ip daddr 10.78.1.10 tcp dport 8080 return", "ip daddr 10.78.2.10 tcp dport 9090 return", "counter drop"},
		},
		{
			name:   "a pod not selected gets no chain",
			policy: mkPolicy("prod", "p", netv1.NetworkPolicySpec{PodSelector: *sel("app", "client"), PolicyTypes: egressOnly}),
			pod:    "prod/db", field: "ip saddr",
			want: nil,
		},
		{
			name:   "ingress isolation does not create an egress chain",
			policy: mkPolicy("prod", "p", netv1.NetworkPolicySpec{PodSelector: *sel("app", "client"), PolicyTypes: ingressOnly}),
			pod:    "prod/client", field: "ip saddr",
			want: nil,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := baseWorld()
			w.Node, w.Policies = "n1", []*netv1.NetworkPolicy{tc.policy}
			text := Render(w, "gauntlet_netpol")
			got := chainOf(t, text, tc.pod, tc.field)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("chain for %s (%s):\n got %q\nwant %q\n%s", tc.pod, tc.field, got, tc.want, text)
			}
			nftCheck(t, text)
		})
	}
}

// Only this node's live, pod-network pods are guarded: one jump per direction per isolated pod.
func TestRenderGuardsOnlyThisNodesPods(t *testing.T) {
	w := baseWorld()
	pending := mkPod("prod", "pending", "n1", "", lbl("app", "web"))
	pending.Status.Phase = corev1.PodPending
	hostNet := mkPod("prod", "hostnet", "n1", "10.77.0.11", lbl("app", "web"))
	hostNet.Spec.HostNetwork = true
	failed := mkPod("prod", "failed", "n1", "10.78.1.98", lbl("app", "web"))
	failed.Status.Phase = corev1.PodFailed
	w.Pods = append(w.Pods, pending, hostNet, failed)
	w.Policies = []*netv1.NetworkPolicy{mkPolicy("prod", "deny-all", netv1.NetworkPolicySpec{PolicyTypes: bothTypes})}

	for node, want := range map[string][]string{
		"n1": {"prod/client", "prod/db", "prod/web-1"},
		"n2": {"prod/web-2"},
	} {
		w.Node = node
		text := Render(w, "gauntlet_netpol")
		var fwd, in []string
		hook := ""
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, "type filter hook ") {
				hook = strings.Fields(l)[3]
			}
			if !strings.Contains(l, " jump ") {
				continue
			}
			pod, _ := strconv.Unquote(l[strings.Index(l, "comment ")+len("comment "):])
			f := strings.Join(strings.Fields(l)[:2], " ")
			if hook == "forward" {
				fwd = append(fwd, f+" "+pod)
			} else {
				in = append(in, f+" "+pod)
			}
		}
		var wantFwd, wantIn []string
		for _, p := range want {
			wantFwd = append(wantFwd, "ip daddr "+p, "ip saddr "+p)
			wantIn = append(wantIn, "ip saddr "+p) // the input hook only sees egress to the node
		}
		if strings.Join(fwd, ",") != strings.Join(wantFwd, ",") || strings.Join(in, ",") != strings.Join(wantIn, ",") {
			t.Errorf("node %s: forward jumps %v, want %v; input jumps %v, want %v", node, fwd, wantFwd, in, wantIn)
		}
	}
}

// With no policies the table still replaces the previous one and guards nothing.
func TestRenderGolden(t *testing.T) {
	w := baseWorld()
	w.Node = "n2"
	if got, want := Render(w, "t"), `table inet t
delete table inet t
table inet t {
  chain forward {
    type filter hook forward priority -10; policy accept;
    ct state established,related accept
  }
  chain input {
    type filter hook input priority -10; policy accept;
    ct state established,related accept
  }
}
`; got != want {
		t.Errorf("empty ruleset:\n%s\nwant:\n%s", got, want)
	}

	w.Policies = []*netv1.NetworkPolicy{
		mkPolicy("dev", "client", netv1.NetworkPolicySpec{
			PodSelector: *sel("app", "client"), PolicyTypes: bothTypes,
			Ingress: []netv1.NetworkPolicyIngressRule{{From: []netv1.NetworkPolicyPeer{podPeer(sel("app", "web"))}, Ports: []netv1.NetworkPolicyPort{port(nil, 80)}}},
			Egress:  []netv1.NetworkPolicyEgressRule{{To: []netv1.NetworkPolicyPeer{ipPeer("192.0.2.0/24", "192.0.2.128/25")}}},
		}),
	}
	want := `table inet t
delete table inet t
table inet t {
  chain forward {
    type filter hook forward priority -10; policy accept;
    ct state established,related accept
    ip daddr 10.78.2.12 jump in-0 comment "dev/client"
    ip saddr 10.78.2.12 jump out-0 comment "dev/client"
  }
  chain input {
    type filter hook input priority -10; policy accept;
    ct state established,related accept
    ip saddr 10.78.2.12 jump out-0 comment "dev/client"
  }
  chain in-0 {
    ip saddr 10.78.1.13 tcp dport 80 return
    counter drop
  }
  chain out-0 {
    ip daddr 192.0.2.0/24 ip daddr != { 192.0.2.128/25 } return
    counter drop
  }
}
`
	got := Render(w, "t")
	if got != want {
		t.Errorf("ruleset:\n%s\nwant:\n%s", got, want)
	}
	nftCheck(t, got)
	// Local pods are sorted, so chain numbering does not depend on the informers' list order.
	for i, j := 0, len(w.Pods)-1; i < j; i, j = i+1, j-1 {
		w.Pods[i], w.Pods[j] = w.Pods[j], w.Pods[i]
	}
	if again := Render(w, "t"); again != got {
		t.Errorf("pod order changes the ruleset:\n%s", again)
	}
}
