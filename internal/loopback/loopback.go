// Package loopback decides where a secret may travel in clear text: the one
// rule that the token source, the Transport, package ssi and the CLI share.
package loopback

import (
	"net"
	"net/url"
	"strings"
)

// Host reports whether host (without a port) is localhost or a loopback IP
// address: 127.0.0.0/8 or ::1.
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Secure reports whether a token or a key may be sent to u: u is https, or
// plain http to a loopback host.
func Secure(u *url.URL) bool {
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		return Host(u.Hostname())
	}
	return false
}
