package collector

import "bytes"

// bsdTCPStates translates the BSD TCPS_* numbering (netinet/tcp_fsm.h,
// the same in XNU and FreeBSD) into State. TCPS_CLOSED is a socket that is
// neither listening nor connected (created, bound, or dropped and not yet
// closed by its process): Linux lists such sockets only when asked for
// them, as BOUND_INACTIVE, so it maps there and is left out of the default
// view the same way.
var bsdTCPStates = [...]State{
	0:  StateBoundInactive, // TCPS_CLOSED
	1:  StateListen,        // TCPS_LISTEN
	2:  StateSynSent,       // TCPS_SYN_SENT
	3:  StateSynRecv,       // TCPS_SYN_RECEIVED
	4:  StateEstablished,   // TCPS_ESTABLISHED
	5:  StateCloseWait,     // TCPS_CLOSE_WAIT
	6:  StateFinWait1,      // TCPS_FIN_WAIT_1
	7:  StateClosing,       // TCPS_CLOSING
	8:  StateLastAck,       // TCPS_LAST_ACK
	9:  StateFinWait2,      // TCPS_FIN_WAIT_2
	10: StateTimeWait,      // TCPS_TIME_WAIT
}

// bsdTCPState returns the State of a BSD t_state; ok is false for a number
// BSD does not define.
func bsdTCPState(t int32) (st State, ok bool) {
	if t < 0 || int(t) >= len(bsdTCPStates) {
		return StateUnknown, false
	}
	return bsdTCPStates[t], true
}

// internalsChunk hands out Internals carved from larger arrays, so that the
// internals of a table of n sockets cost n/256 allocations, not n.
type internalsChunk struct {
	buf []Internals
	// hint, when not 0, is how many sockets may still want internals,
	// so that a small table does not get a whole chunk.
	hint int
}

// internalsChunkLen is the most sockets one array serves.
const internalsChunkLen = 256

// put returns a pointer to a copy of in.
func (c *internalsChunk) put(in Internals) *Internals {
	if len(c.buf) == cap(c.buf) {
		n := internalsChunkLen
		if c.hint > 0 {
			n = min(n, c.hint)
		}
		c.buf = make([]Internals, 0, n)
		c.hint = max(c.hint-n, 0)
	}
	c.buf = append(c.buf, in)
	return &c.buf[len(c.buf)-1]
}

// cString returns b up to its first NUL, all of b when it has none.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}
