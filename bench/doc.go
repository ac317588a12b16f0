// Command bench compares portwatch with ss, netstat and lsof on a large,
// known socket load on loopback.
//
// For every size it starts helper processes (this binary, re-executed)
// that open that many sockets on 127.0.0.1, checks in /proc/net that they
// are all there, times each tool as a whole process in interleaved rounds,
// measures the CPU cost of one steady-state refresh of portwatch's watch
// mode and tears the load down again. Results go to stdout as tables and to a
// Markdown file (and optionally JSON).
//
//	go run ./bench -sizes 2000,20000,120000 -rounds 5
package main
