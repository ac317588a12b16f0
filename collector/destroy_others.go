//go:build !linux

package collector

// Destroy cannot end sockets on this system: each gets
// ErrDestroyUnsupported.
func Destroy(socks []Socket, _ []Netns) []error {
	errs := make([]error, len(socks))
	for i := range errs {
		errs[i] = ErrDestroyUnsupported
	}
	return errs
}
