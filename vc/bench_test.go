package vc

import (
	"testing"

	"github.com/entity-studio-go/entityauth/internal/ldproof"
)

// BenchmarkVerifyCredential verifies vc/01 (the figure that bench/vc-ratio.sh
// compares with the JS reference, bench/jsref): with DID documents in
// memory and no status check, as the JS reference runs.
//
// Besides ns/op (wall time) it reports cpu-ns/op, the process's CPU time per
// verification, which the JS reference reports too: on a shared machine it
// varies far less with the load than wall time does.
func BenchmarkVerifyCredential(b *testing.B) {
	v := newTestVerifier(b, Options{})
	raw := read(b, "vc/01-valid.vc.json")
	if _, err := v.VerifyCredential(bg, raw); err != nil {
		b.Fatal(err)
	}
	benchCPU(b, func() {
		if _, err := v.VerifyCredential(bg, raw); err != nil {
			b.Fatal(err)
		}
	})
}

// benchCPU runs f b.N times and reports allocations and cpu-ns/op.
func benchCPU(b *testing.B, f func()) {
	b.ReportAllocs()
	start := processCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if cpu := processCPU() - start; cpu > 0 && n > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/op")
	}
}

// BenchmarkVerifyCredentialPlain is BenchmarkVerifyCredential without
// expansion templates: every expansion by json-gold, as for the first
// credential of a shape.
func BenchmarkVerifyCredentialPlain(b *testing.B) {
	v := newTestVerifier(b, Options{})
	v.proc = ldproof.NewPlainProcessor()
	raw := read(b, "vc/01-valid.vc.json")
	benchCPU(b, func() {
		if _, err := v.VerifyCredential(bg, raw); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkVerifyCredentialParallel verifies vc/01 on every core through
// one Verifier.
func BenchmarkVerifyCredentialParallel(b *testing.B) {
	v := newTestVerifier(b, Options{})
	raw := read(b, "vc/01-valid.vc.json")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.VerifyCredential(bg, raw); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyPresentation verifies vp/01: the presentation's proof (over
// the credential too) and the credential's.
func BenchmarkVerifyPresentation(b *testing.B) {
	v := newTestVerifier(b, Options{})
	raw := read(b, "vp/01-valid.vp.json")
	o := PresentationOptions{Challenge: vpChallenge, Domain: vpDomain}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.VerifyPresentation(bg, raw, o); err != nil {
			b.Fatal(err)
		}
	}
}
