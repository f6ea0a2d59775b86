package main

import (
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// extendedErr builds what the kernel queues for an ICMP error: sock_extended_err, then the sender.
func extendedErr(origin byte, family uint16, ip net.IP) []byte {
	b := make([]byte, 16+16)
	binary.NativeEndian.PutUint32(b[0:4], uint32(syscall.ECONNREFUSED))
	b[4], b[5], b[6] = origin, 3, 3 // ICMP, destination unreachable, port unreachable
	binary.NativeEndian.PutUint16(b[16:18], family)
	copy(b[20:24], ip.To4())
	return b
}

func TestICMPSenderReadsTheOffender(t *testing.T) {
	if got := icmpSender(extendedErr(2, syscall.AF_INET, net.IPv4(10, 78, 1, 1))); !got.Equal(net.IPv4(10, 78, 1, 1)) {
		t.Fatalf("sender = %v, want 10.78.1.1", got)
	}
	if got := icmpSender(extendedErr(1, syscall.AF_INET, net.IPv4(10, 78, 1, 1))); got != nil { // local origin: no sender
		t.Fatalf("sender of a local error = %v, want none", got)
	}
	if got := icmpSender(make([]byte, 10)); got != nil {
		t.Fatalf("sender of a short record = %v, want none", got)
	}
}

// A UDP datagram to a closed loopback port: the destination itself answers port-unreachable, so the
// refusal stays a refusal (nothing on the path rejected it), and the queue did name the sender.
func TestARefusalFromTheDestinationStaysARefusal(t *testing.T) {
	r := newRefusals()
	defer r.close()
	_, err := run("udp", "127.0.0.1:9", time.Second, r)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Skipf("no refusal from a closed loopback port here: %v", err)
	}
	if from := r.sender(); !from.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("sender = %v, want the destination 127.0.0.1", from)
	}
	_, err = run("udp", "127.0.0.1:9", time.Second, r)
	if got := r.explain(err); got != err || strings.Contains(got.Error(), "rejected on the path") {
		t.Fatalf("explain = %v, want the refusal unchanged", got)
	}
}
