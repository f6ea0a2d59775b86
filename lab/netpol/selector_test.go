package main

// Unit tests for the selection half of the renderer: label selectors, policy types (with the
// API's defaulting rule), which pods count as live, and which pods a peer selects.

import (
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSelects(t *testing.T) {
	req := func(key string, op metav1.LabelSelectorOperator, vals ...string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: key, Operator: op, Values: vals}}}
	}
	cases := []struct {
		name   string
		sel    *metav1.LabelSelector
		labels map[string]string
		want   bool
	}{
		{"empty selector matches everything", &metav1.LabelSelector{}, lbl("app", "web"), true},
		{"empty selector matches no labels", &metav1.LabelSelector{}, nil, true},
		{"matchLabels subset", sel("app", "web"), lbl("app", "web", "tier", "fe"), true},
		{"matchLabels all must match", sel("app", "web", "tier", "be"), lbl("app", "web", "tier", "fe"), false},
		{"matchLabels missing key", sel("app", "web"), nil, false},
		{"In", req("env", metav1.LabelSelectorOpIn, "dev", "prod"), lbl("env", "prod"), true},
		{"In, other value", req("env", metav1.LabelSelectorOpIn, "dev"), lbl("env", "prod"), false},
		{"NotIn, absent key matches", req("env", metav1.LabelSelectorOpNotIn, "prod"), nil, true},
		{"NotIn", req("env", metav1.LabelSelectorOpNotIn, "prod"), lbl("env", "prod"), false},
		{"Exists", req("env", metav1.LabelSelectorOpExists), lbl("env", ""), true},
		{"DoesNotExist", req("env", metav1.LabelSelectorOpDoesNotExist), lbl("env", "x"), false},
		{"labels and expressions are ANDed", &metav1.LabelSelector{
			MatchLabels:      lbl("app", "web"),
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "env", Operator: metav1.LabelSelectorOpIn, Values: []string{"dev"}}},
		}, lbl("app", "web", "env", "prod"), false},
		{"an invalid selector matches nothing", req("env", "Bogus", "x"), lbl("env", "x"), false},
		{"In without values is invalid: matches nothing", req("env", metav1.LabelSelectorOpIn), lbl("env", "x"), false},
	}
	for _, tc := range cases {
		if got := selects(tc.sel, tc.labels); got != tc.want {
			t.Errorf("%s: selects=%v, want %v", tc.name, got, tc.want)
		}
	}
	if !everything().Matches(nil) || everything().String() != "" {
		t.Errorf("everything() must match every object")
	}
}

func TestHasType(t *testing.T) {
	egressRules := []netv1.NetworkPolicyEgressRule{{}}
	cases := []struct {
		name                 string
		spec                 netv1.NetworkPolicySpec
		wantIngress, wantEgr bool
	}{
		{"omitted, no egress rules: Ingress only", netv1.NetworkPolicySpec{}, true, false},
		{"omitted, egress rules: both", netv1.NetworkPolicySpec{Egress: egressRules}, true, true},
		{"Ingress", netv1.NetworkPolicySpec{PolicyTypes: ingressOnly}, true, false},
		{"Ingress ignores egress rules", netv1.NetworkPolicySpec{PolicyTypes: ingressOnly, Egress: egressRules}, true, false},
		{"Egress without rules", netv1.NetworkPolicySpec{PolicyTypes: egressOnly}, false, true},
		{"both", netv1.NetworkPolicySpec{PolicyTypes: bothTypes}, true, true},
	}
	for _, tc := range cases {
		np := &netv1.NetworkPolicy{Spec: tc.spec}
		if gi, ge := hasType(np, netv1.PolicyTypeIngress), hasType(np, netv1.PolicyTypeEgress); gi != tc.wantIngress || ge != tc.wantEgr {
			t.Errorf("%s: ingress=%v egress=%v, want %v %v", tc.name, gi, ge, tc.wantIngress, tc.wantEgr)
		}
	}
}

func TestLive(t *testing.T) {
	base := func() *corev1.Pod { return mkPod("a", "p", "n1", "10.78.1.5", nil) }
	cases := []struct {
		name string
		edit func(*corev1.Pod)
		want bool
	}{
		{"running with an IP", func(*corev1.Pod) {}, true},
		{"pending with an IP already", func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }, true},
		{"no IP yet", func(p *corev1.Pod) { p.Status.PodIP = "" }, false},
		{"host network", func(p *corev1.Pod) { p.Spec.HostNetwork = true }, false},
		{"succeeded", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }, false},
		{"failed", func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }, false},
	}
	for _, tc := range cases {
		p := base()
		tc.edit(p)
		if got := live(p); got != tc.want {
			t.Errorf("%s: live=%v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPeerPods(t *testing.T) {
	cases := []struct {
		name string
		peer netv1.NetworkPolicyPeer
		want string // ns/name, sorted
	}{
		{"podSelector alone: the policy's namespace", podPeer(sel("app", "client")), "prod/client"},
		{"podSelector {}: every pod of the policy's namespace", podPeer(&metav1.LabelSelector{}), "prod/client prod/db prod/web-1 prod/web-2"},
		{"namespaceSelector alone: every pod of those namespaces", nsPeer(sel("env", "dev")), "dev/client dev/web"},
		{"namespaceSelector {}: every namespace", nsPeer(&metav1.LabelSelector{}), "dev/client dev/web other/client prod/client prod/db prod/web-1 prod/web-2"},
		{"both in one peer: AND", netv1.NetworkPolicyPeer{NamespaceSelector: sel("env", "dev"), PodSelector: sel("app", "web")}, "dev/web"},
		{"namespaceSelector by name label", nsPeer(sel("kubernetes.io/metadata.name", "other")), "other/client"},
		{"namespaceSelector matching nothing", nsPeer(sel("env", "nope")), ""},
	}
	w := baseWorld()
	gone := mkPod("prod", "gone", "n1", "10.78.1.90", lbl("app", "client"))
	gone.Status.Phase = corev1.PodFailed
	unlabelledNS := mkPod("nolabels", "x", "n1", "10.78.1.91", lbl("app", "client")) // namespace object not listed
	w.Pods = append(w.Pods, gone, unlabelledNS)
	for _, tc := range cases {
		var got []string
		for _, p := range w.peerPods("prod", tc.peer) {
			got = append(got, p.Namespace+"/"+p.Name)
		}
		sort.Strings(got)
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, g, tc.want)
		}
	}
}
