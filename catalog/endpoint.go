package catalog

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DefaultEndpoint is Google's Live API host.
const DefaultEndpoint = "wss://generativelanguage.googleapis.com"

// ParseEndpoint checks a Live API base URL and returns it parsed. The rules keep the key safe:
// wss:// (https:// is read as wss://), or ws:// / http:// only to this computer (a local test
// server), so a key never crosses a network in clear; no user name or password, query string
// or fragment, since the key travels in a header and nothing else may ride along (or be logged
// with the URL).
func ParseEndpoint(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return nil, fmt.Errorf("%q is not a URL (expected e.g. %s)", raw, DefaultEndpoint)
	case u.User != nil:
		return nil, errors.New("must not contain a user name or password: the key goes in Settings")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("must not contain a query string (?…): the key goes in Settings, never in the URL")
	case u.Fragment != "":
		return nil, errors.New("must not contain a fragment (#…)")
	}
	switch u.Scheme {
	case "wss", "https":
		u.Scheme = "wss"
	case "ws", "http":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("unencrypted %s:// is only allowed to this computer (a local test server): use wss://", u.Scheme)
		}
		u.Scheme = "ws"
	default:
		return nil, errors.New("must start with wss:// (or ws:// for a server on this computer)")
	}
	return u, nil
}

// IsLoopback reports whether host names this computer.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
