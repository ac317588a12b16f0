//go:build !windows

package collector

// ownersOnlyForConnectingEnds reports whether the platform names the
// owner of a connection's connecting end only: none but Wine does.
func ownersOnlyForConnectingEnds() bool { return false }
