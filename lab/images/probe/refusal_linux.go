package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// A refusal (ECONNREFUSED) is a TCP reset or an ICMP port-unreachable. When the ICMP error comes
// from an address that is not the destination, the destination never saw the packet: something on
// the path refused to forward it (an enforcer that rejects instead of dropping, such as kube-router
// and k3s). The kernel names the sender in the socket's error queue (IP_RECVERR). Go closes its
// socket when a dial fails, so the dialer keeps a duplicate of it to read the queue from.
type refusals struct {
	fd   int    // duplicate of the last socket dialed, -1 when none
	addr string // the address that socket dialed
}

func newRefusals() *refusals { return &refusals{fd: -1} }

// control is a net.Dialer Control function: arm IP_RECVERR and keep a duplicate of the socket.
func (r *refusals) control(_, address string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		if err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVERR, 1); err != nil {
			return
		}
		r.close()
		r.fd, err = syscall.Dup(int(fd))
		r.addr = address
	}); cerr != nil {
		return cerr
	}
	return err
}

func (r *refusals) close() {
	if r.fd >= 0 {
		syscall.Close(r.fd)
		r.fd = -1
	}
}

// explain turns a refusal that an ICMP error from another address caused into "rejected on the
// path"; any other error is returned as it is.
func (r *refusals) explain(err error) error {
	if err == nil || !errors.Is(err, syscall.ECONNREFUSED) || r.fd < 0 {
		return err
	}
	from := r.sender()
	host, _, _ := net.SplitHostPort(r.addr)
	if from == nil || from.Equal(net.ParseIP(host)) {
		return err
	}
	return fmt.Errorf("rejected on the path: ICMP unreachable from %s, not from the destination %s (%v)", from, host, err)
}

// sender is the address of the ICMP error queued on the last socket, nil when there is none.
func (r *refusals) sender() net.IP {
	buf, oob := make([]byte, 256), make([]byte, 256)
	_, oobn, _, _, err := syscall.Recvmsg(r.fd, buf, oob, syscall.MSG_ERRQUEUE|syscall.MSG_DONTWAIT)
	if err != nil {
		return nil
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.IPPROTO_IP && m.Header.Type == syscall.IP_RECVERR {
			if ip := icmpSender(m.Data); ip != nil {
				return ip
			}
		}
	}
	return nil
}

// icmpSender reads a struct sock_extended_err (16 bytes) and the offender's sockaddr_in after it;
// only errors of ICMP origin name a sender.
func icmpSender(b []byte) net.IP {
	const originICMP = 2 // SO_EE_ORIGIN_ICMP
	if len(b) < 16+8 || b[4] != originICMP {
		return nil
	}
	sa := b[16:]
	if binary.NativeEndian.Uint16(sa[0:2]) != syscall.AF_INET {
		return nil
	}
	return net.IPv4(sa[4], sa[5], sa[6], sa[7])
}
