package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/portwatch/portwatch/render"
	"github.com/portwatch/portwatch/services"
)

func newServiceCommand(stdout io.Writer) *cobra.Command {
	var servicesFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "service PORT[/PROTO]",
		Short: "Print everything the service registry knows about a port",
		Long: `Print every name, description, source and risk note known for a port, from
IANA's registry, portwatch's curated list of common unofficial uses, the
host's /etc/services and your own services file. The name shown in tables
comes first.`,
		Example: "  portwatch service 22\n  portwatch service 53/udp\n  portwatch service :6881 --json",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("service takes one port (accepted: PORT[/PROTO] or :PORT), e.g. portwatch service 5432")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			port, proto, err := parsePortProto(args[0])
			if err != nil {
				return err
			}
			reg, err := loadRegistry(servicesFile, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var infos []services.Info
			if proto == "" {
				infos = reg.LookupAll(port)
			} else {
				infos = []services.Info{reg.Lookup(proto, port)}
			}
			if asJSON {
				return writeServiceJSON(stdout, infos)
			}
			return writeServiceText(stdout, infos)
		},
	}
	cmd.Flags().StringVar(&servicesFile, "services", "", "extra service names in /etc/services syntax")
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON output")
	return cmd
}

// parsePortProto parses PORT, :PORT or PORT/PROTO.
func parsePortProto(arg string) (uint16, string, error) {
	portText, proto, hasProto := strings.Cut(arg, "/")
	proto = strings.ToLower(proto)
	if hasProto && proto != "tcp" && proto != "udp" {
		return 0, "", usagef("invalid protocol %q in %q: accepted: tcp, udp", proto, arg)
	}
	port, err := parsePort(portText)
	if err != nil {
		return 0, "", usagef("invalid port %q: %v, optionally followed by /tcp or /udp", arg, err)
	}
	return port, proto, nil
}

func writeServiceText(w io.Writer, infos []services.Info) error {
	var b strings.Builder
	for i, info := range infos {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%d/%s", info.Port, info.Proto)
		if info.Name == "" {
			b.WriteString(": no service known\n")
			continue
		}
		fmt.Fprintf(&b, "  %s\n", render.Sanitize(info.Name))
		fmt.Fprintf(&b, "  names:    %s\n", render.Sanitize(strings.Join(info.Names, ", ")))
		for _, e := range info.Entries {
			fmt.Fprintf(&b, "  source:   %s: %s", render.Sanitize(e.Source), render.Sanitize(strings.Join(e.Names, ", ")))
			if e.Description != "" {
				fmt.Fprintf(&b, " (%s)", render.Sanitize(e.Description))
			}
			b.WriteByte('\n')
		}
		if info.Risk != "" {
			fmt.Fprintf(&b, "  risk:     %s\n", render.Sanitize(info.Risk))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// serviceJSON is the JSON form of one registry answer.
type serviceJSON struct {
	Port    uint16         `json:"port"`
	Proto   string         `json:"proto"`
	Name    string         `json:"name"`
	Names   []string       `json:"names"`
	Sources []serviceEntry `json:"sources"`
	Risk    string         `json:"risk"`
}

type serviceEntry struct {
	Source      string   `json:"source"`
	Names       []string `json:"names"`
	Description string   `json:"description"`
}

func writeServiceJSON(w io.Writer, infos []services.Info) error {
	out := make([]serviceJSON, 0, len(infos))
	for _, info := range infos {
		j := serviceJSON{Port: info.Port, Proto: info.Proto, Name: info.Name,
			Names: append([]string{}, info.Names...), Sources: []serviceEntry{}, Risk: info.Risk}
		for _, e := range info.Entries {
			j.Sources = append(j.Sources, serviceEntry{Source: e.Source, Names: e.Names, Description: e.Description})
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
