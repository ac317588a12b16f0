package collector

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
