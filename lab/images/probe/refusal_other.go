//go:build !linux

package main

import "syscall"

// Elsewhere the sender of a refusal is not known: a refusal stays a refusal.
type refusals struct{}

func newRefusals() *refusals                                     { return &refusals{} }
func (r *refusals) control(_, _ string, _ syscall.RawConn) error { return nil }
func (r *refusals) close()                                       {}
func (r *refusals) explain(err error) error                      { return err }
