// Command bench compares portwatch with ss, netstat and lsof on a large,
// known socket load on loopback.
//
// For every size it starts helper processes (this binary, re-executed)
// that open that many sockets on 127.0.0.1, checks in /proc/net that they
// are all there, times each tool as a whole process in interleaved rounds,
// measures the CPU cost of one steady-state refresh of portwatch's watch
// mode and tears the load down again. Before the sizes, the start-up
// scenario times short runs of portwatch, ss -tan, a Go hello world (the
// Go floor) and the Go floor plus one kernel dump of the TCP table (the
// dump floor) on the idle table and on a small load, and counts their
// instructions where perf or callgrind can. Results go to stdout as
// tables and to a Markdown file (and optionally JSON).
//
//	go run ./bench -sizes 2000,20000,120000 -rounds 5
//	go run ./bench -sizes none -startup-sizes idle,2000 -startup-rounds 50
package main
