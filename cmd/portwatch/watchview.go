package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/render"
	"github.com/portwatch/portwatch/watch"
)

// viewSorts are the sort columns the s key cycles through. The view starts
// with --sort, or local: a stable order in which a closed socket stays
// where it was.
var viewSorts = []string{"local", "state", "remote", "port", "service", "process", "pid", "proto"}

// runWatchView runs the full-screen live view until q, Ctrl-C or SIGTERM.
// bubbletea restores the terminal on every way out, panics included.
func runWatchView(ctx context.Context, src *watchSource, ropts render.Options, interval time.Duration,
	f *listFlags, stderr io.Writer) error {
	m := &viewModel{
		ctx:      ctx,
		src:      src,
		interval: interval,
		count:    f.count,
		tracker:  watch.Tracker{Linger: lingerRefreshes(interval)},
		frame: render.FrameOptions{
			Options:  ropts,
			Color:    colorWanted(),
			Sort:     cmp.Or(f.sort, viewSorts[0]),
			Interval: interval,
			Width:    80,
			Height:   24,
			Rates:    f.info,
		},
	}
	p := tea.NewProgram(m, tea.WithContext(ctx))
	_, err := p.Run()
	// Warnings were held back while the screen was ours.
	m.writeWarnings(stderr)
	switch {
	case m.err != nil:
		return m.err
	case err == nil, errors.Is(err, tea.ErrInterrupted), errors.Is(err, tea.ErrProgramKilled),
		errors.Is(err, context.Canceled):
		return nil
	case errors.Is(err, tea.ErrProgramPanic):
		return failf("internal error in the live view (%v); the terminal was restored, please report it", err)
	}
	return failf("live view: %v", err)
}

// markSeconds is about how long a change mark stays on screen.
const markSeconds = 3 * time.Second

// lingerRefreshes is how many refreshes a mark lasts: about markSeconds,
// and never fewer than watch.DefaultLinger.
func lingerRefreshes(interval time.Duration) int {
	n := int((markSeconds + interval - 1) / interval)
	return max(n, watch.DefaultLinger)
}

// colorWanted reports whether the live view may use colour: not with
// NO_COLOR (https://no-color.org) or on a dumb terminal.
func colorWanted() bool {
	return os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

// viewModel is the bubbletea model of the live view. Drawing is
// render.WatchFrame's; the model keeps the state and handles keys.
type viewModel struct {
	ctx      context.Context
	src      *watchSource
	interval time.Duration
	count    int // refreshes before quitting; 0: no limit
	tracker  watch.Tracker
	rows     []watch.Row
	now      time.Time
	frame    render.FrameOptions
	sortIdx  int
	what     collectWhat // what the latest snapshot holds
	started  bool
	done     int // refreshes shown
	err      error
	// warnings are held back while the screen is the view's. Only Update
	// (the UI goroutine) adds to them: a collect writes into a buffer of
	// its own and hands it over in its snapshotMsg, so one still running
	// when the view quits cannot race with writeWarnings.
	warnings bytes.Buffer

	text  string // the last frame drawn
	stale bool   // text no longer shows the model

	// The selected line of the last frame drawn: its socket (a copy, so
	// that a refresh cannot change what k acts on) or its process.
	selected     *collector.Socket
	selectedGone bool // the selected row is a closed socket still shown
	selectedPID  watch.ProcessRate
	page         int         // rows on the screen in the last frame
	ask          *viewAction // the question on screen, waiting for y
}

// viewAction is what k or K does once confirmed.
type viewAction struct {
	close  *collector.Socket // k: the connection to end
	pids   []killTarget      // K: the processes to send SIGTERM
	refuse string            // K: why some of them are left alone
}

// actionDoneMsg is the result of a confirmed action, for the message line.
type actionDoneMsg struct{ text string }

// snapshotMsg carries one refresh.
type snapshotMsg struct {
	snap     *collector.Snapshot
	what     collectWhat
	err      error
	warnings []byte // the warning lines this collect wrote
}

// tickMsg asks for the next refresh.
type tickMsg struct{}

// Init implements tea.Model: the first refresh at once.
func (m *viewModel) Init() tea.Cmd { return m.collect() }

// collect returns a command that takes one snapshot off the UI goroutine.
// Only one is in flight at a time: the next is asked for by the tick that
// follows its result, so the incremental collector is never shared.
func (m *viewModel) collect() tea.Cmd {
	what := collectWhat{owners: m.frame.Owners || m.src.flags.wantOwners(), info: m.frame.Rates || m.src.flags.info}
	return func() tea.Msg {
		var warnings bytes.Buffer
		snap, err := m.src.collect(m.ctx, what, &warnings)
		return snapshotMsg{snap: snap, what: what, err: err, warnings: warnings.Bytes()}
	}
}

// writeWarnings writes the warnings held back while the view ran; the view
// calls it once bubbletea has given the terminal back.
func (m *viewModel) writeWarnings(w io.Writer) {
	w.Write(m.warnings.Bytes())
}

func (m *viewModel) tick() tea.Cmd {
	return tea.Tick(m.interval, func(time.Time) tea.Msg { return tickMsg{} })
}

// Update implements tea.Model.
func (m *viewModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.frame.Width, m.frame.Height = msg.Width, msg.Height
		m.stale = true
	case snapshotMsg:
		m.warnings.Write(msg.warnings)
		if msg.err != nil {
			if m.ctx.Err() == nil {
				m.err = msg.err
			}
			return m, tea.Quit
		}
		if m.started && msg.what != m.what {
			// Owners or rates switched on or off: not a change of every
			// socket.
			m.tracker.Reset()
		}
		m.started, m.what = true, msg.what
		if !m.frame.Paused {
			m.tracker.Update(msg.snap)
			m.rows, m.now = m.tracker.Rows(), msg.snap.Time
			m.frame.Namespaces, m.frame.Netns = msg.snap.Namespaces, len(msg.snap.Namespaces) > 1
			m.stale = true
		}
		m.done++
		if m.count > 0 && m.done >= m.count {
			return m, tea.Quit
		}
		return m, m.tick()
	case tickMsg:
		if m.frame.Paused {
			return m, m.tick()
		}
		return m, m.collect()
	case tea.KeyPressMsg:
		m.stale = true
		return m, m.key(msg)
	case actionDoneMsg:
		m.frame.Message = msg.text
		m.stale = true
	}
	return m, nil
}

// key handles one key press.
func (m *viewModel) key(k tea.KeyPressMsg) tea.Cmd {
	name := k.String()
	if name == "ctrl+c" {
		return tea.Quit
	}
	if m.ask != nil {
		return m.answer(name)
	}
	if m.frame.Editing {
		switch name {
		case "enter":
			m.frame.Editing = false
		case "esc":
			m.frame.Editing, m.frame.Filter = false, ""
		case "backspace":
			if f := m.frame.Filter; f != "" {
				_, size := utf8.DecodeLastRuneInString(f)
				m.frame.Filter = f[:len(f)-size]
			}
		default:
			if t := k.Key().Text; t != "" && len(m.frame.Filter) < 200 {
				m.frame.Filter += t
			}
		}
		m.frame.Scroll = 0
		return nil
	}
	if m.frame.Help {
		// Any key closes the help; q still quits.
		m.frame.Help = false
		if name == "q" {
			return tea.Quit
		}
		return nil
	}
	m.frame.Message = ""
	page := max(m.page, 1)
	switch name {
	case "q":
		return tea.Quit
	case "space":
		m.frame.Paused = !m.frame.Paused
	case "s":
		m.sortIdx = (m.sortIdx + 1) % len(viewSorts)
		m.frame.Sort = viewSorts[m.sortIdx]
	case "/":
		m.frame.Editing = true
	case "l":
		m.frame.ListeningOnly = !m.frame.ListeningOnly
		m.frame.Scroll = 0
	case "o":
		m.frame.Owners = !m.frame.Owners
	case "b":
		if why := m.noRates(); why != "" {
			m.frame.Message = why
			return nil
		}
		m.frame.Rates = !m.frame.Rates
		return m.refreshNow()
	case "P":
		m.frame.Processes = !m.frame.Processes
		m.frame.Cursor, m.frame.Scroll, m.frame.Select = 0, 0, render.Selection{}
		if !m.frame.Processes {
			return nil
		}
		refresh := !m.frame.Owners
		m.frame.Owners = true
		if m.noRates() == "" && !m.frame.Rates {
			m.frame.Rates, refresh = true, true
		}
		if refresh {
			return m.refreshNow()
		}
	case "k":
		m.draw() // the selection as the latest refresh has it
		m.askClose()
		m.stale = true
	case "K":
		m.draw()
		m.askKill()
		m.stale = true
	case "?":
		m.frame.Help = true
	case "esc":
		m.frame.Filter = ""
	case "up":
		m.moveCursor(-1)
	case "down":
		m.moveCursor(1)
	case "pgup":
		m.moveCursor(-page)
	case "pgdown":
		m.moveCursor(page)
	case "home", "g":
		m.moveCursor(-1 << 30)
	case "end", "G":
		m.moveCursor(1 << 30)
	}
	m.frame.Scroll = max(m.frame.Scroll, 0)
	return nil
}

// refreshNow collects at once, with what the view now wants, unless the
// view is paused; the tick already on its way collects again later.
func (m *viewModel) refreshNow() tea.Cmd {
	if m.frame.Paused {
		return nil
	}
	return m.collect()
}

// moveCursor moves the selection by delta lines and scrolls so that it
// stays on the screen; WatchFrame clamps both to the lines there are.
func (m *viewModel) moveCursor(delta int) {
	c := max(m.frame.Cursor+delta, 0)
	if delta >= 1<<30 {
		c = 1 << 30
	}
	m.frame.Cursor, m.frame.Select = c, render.Selection{}
	page := max(m.page, 1)
	switch {
	case c < m.frame.Scroll:
		m.frame.Scroll = c
	case c >= m.frame.Scroll+page:
		m.frame.Scroll = c - page + 1
	}
}

// noRates says why the view cannot show rates ("" when it can).
func (m *viewModel) noRates() string {
	switch {
	case runtime.GOOS == "freebsd":
		return "rates need byte counters, which FreeBSD's socket list does not carry"
	case !collector.InternalsAvailable():
		return "rates need byte counters: " + noInternalsReason()
	case m.src.flags.replay != "":
		return "a replay holds no counters to take rates from"
	case m.src.flags.source.value == string(collector.SourceProcfs):
		return "rates need the netlink source (--source netlink): /proc/net has no byte counters"
	}
	return ""
}

// askClose puts the question of k on the screen, or says why there is
// nothing to close.
func (m *viewModel) askClose() {
	s := m.selected
	switch {
	case m.frame.Processes:
		m.frame.Message = "k closes a connection: P goes back to the sockets"
	case s == nil:
		m.frame.Message = "nothing selected"
	case m.src.flags.replay != "":
		m.frame.Message = "a replay: there is nothing to close"
	case m.selectedGone:
		m.frame.Message = "this connection is closed already"
	case s.Proto != collector.ProtoTCP:
		m.frame.Message = "k closes TCP connections; this is a " + s.Proto.String() + " socket"
	case s.State == collector.StateListen:
		m.frame.Message = "k leaves listeners alone (portwatch close --listeners ends one)"
	case s.State == collector.StateTimeWait || s.Cookie == 0:
		m.frame.Message = "this connection cannot be closed: " + closeWhyNot(s)
	default:
		m.ask = &viewAction{close: s}
		m.frame.Message = "close " + render.ConnectionText(s) + "? [y/N]"
		m.frame.Asking = true
	}
}

// closeWhyNot says why s has no cookie to close it by.
func closeWhyNot(s *collector.Socket) string {
	if s.State == collector.StateTimeWait {
		return "it is already closed (TIME_WAIT)"
	}
	return "the socket came from /proc/net (--source netlink can end it)"
}

// askKill puts the question of K on the screen: SIGTERM to the selected
// row's owners, or the selected process.
func (m *viewModel) askKill() {
	var targets []killTarget
	switch {
	case m.frame.Processes:
		if p := m.selectedPID; p.PID != 0 {
			targets = append(targets, killTarget{pid: p.PID, name: p.Process})
		}
	case m.selected != nil:
		for _, o := range m.selected.Owners {
			if !slices.ContainsFunc(targets, func(t killTarget) bool { return t.pid == o.PID }) {
				targets = append(targets, killTarget{pid: o.PID, name: o.Process})
			}
		}
	}
	if len(targets) == 0 {
		switch {
		case m.selected == nil && !m.frame.Processes:
			m.frame.Message = "nothing selected"
		case !m.frame.Owners && !m.src.flags.wantOwners() && !m.frame.Processes:
			m.frame.Message = "no owner shown: o shows the owners, then K signals them"
		default:
			m.frame.Message = "no owner to signal: it is hidden (run as root to see it) or there is none"
		}
		return
	}
	a := &viewAction{}
	var refused []string
	for _, t := range targets {
		if why := killRefusal(t.pid); why != "" {
			refused = append(refused, strconv.Itoa(t.pid)+": "+why)
			continue
		}
		a.pids = append(a.pids, t)
	}
	if len(a.pids) == 0 {
		m.frame.Message = "K " + strings.Join(refused, "; ")
		return
	}
	a.refuse = strings.Join(refused, "; ")
	list := make([]string, len(a.pids))
	for i, t := range a.pids {
		list[i] = strconv.Itoa(t.pid) + "/" + t.name
	}
	m.ask = a
	m.frame.Message = "send SIGTERM to " + strings.Join(list, ", ") + "? [y/N]"
	m.frame.Asking = true
}

// answer takes the key pressed at a question: y does it, any other key
// does nothing.
func (m *viewModel) answer(name string) tea.Cmd {
	a := m.ask
	m.ask, m.frame.Asking = nil, false
	if name != "y" && name != "Y" {
		if a.close != nil {
			m.frame.Message = "nothing closed"
		} else {
			m.frame.Message = "no signal sent"
		}
		return nil
	}
	m.frame.Message = "..."
	namespaces := m.frame.Namespaces
	return func() tea.Msg {
		if a.close != nil {
			return actionDoneMsg{closeResult(a.close, collector.Destroy([]collector.Socket{*a.close}, namespaces)[0])}
		}
		return actionDoneMsg{killResult(a)}
	}
}

// closeResult is the message line after k ended s, or failed to.
func closeResult(s *collector.Socket, err error) string {
	what := render.ConnectionText(s)
	switch {
	case err == nil:
		return "closed " + what
	case errors.Is(err, collector.ErrDestroyGone):
		return what + " was already gone"
	case errors.Is(err, collector.ErrDestroyPermission):
		return "not closed: " + closePrivilege()
	}
	return "not closed: " + err.Error()
}

// killResult sends the signals of a and says how it went.
func killResult(a *viewAction) string {
	var parts []string
	for _, t := range a.pids {
		if err := sendSignal(t.pid, 15); err != nil {
			why := err.Error()
			if os.IsPermission(err) {
				why = "another user's process; run portwatch as root"
			}
			parts = append(parts, fmt.Sprintf("%d/%s: not signalled: %s", t.pid, t.name, why))
			continue
		}
		parts = append(parts, fmt.Sprintf("sent SIGTERM to %d/%s", t.pid, t.name))
	}
	if a.refuse != "" {
		parts = append(parts, a.refuse)
	}
	return strings.Join(parts, "; ")
}

// draw lays out the frame again if the model changed since the last one,
// and keeps what it selected for k and K.
func (m *viewModel) draw() {
	if m.stale || m.text == "" {
		fr := render.WatchFrame(m.rows, m.frame, m.now)
		// Clamped, so that moving back starts at once; the selection
		// follows its socket or process through the next refreshes.
		m.frame.Scroll, m.frame.Cursor, m.frame.Select = fr.Scroll, fr.Cursor, fr.Selected
		m.page = fr.Page
		m.selected, m.selectedPID = nil, fr.Process
		if fr.Row >= 0 {
			s := m.rows[fr.Row].Socket
			m.selected, m.selectedGone = &s, m.rows[fr.Row].Mark == watch.Gone
		}
		m.text, m.stale = fr.Text, false
	}
}

// View implements tea.Model.
func (m *viewModel) View() tea.View {
	// bubbletea asks after every message, ticks of a paused view
	// included; a frame of 100k rows is tens of milliseconds of filtering
	// and sorting, so draw only when Update changed something it shows.
	m.draw()
	v := tea.NewView(m.text)
	v.AltScreen = true
	v.WindowTitle = "portwatch"
	return v
}
