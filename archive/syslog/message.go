package syslog

import (
	"strings"
	"time"

	"glarc/chunk"
)

// Format says which syntax a message was parsed as. The values are stable
// and may be stored; never renumber them.
type Format uint8

const (
	// FormatUnknown is the zero value: nothing was parsed.
	FormatUnknown Format = 0
	// RFC3164 is BSD syslog: `<PRI>Mmm dd hh:mm:ss host tag[pid]: msg`,
	// with or without PRI, with a BSD or an RFC 3339 timestamp.
	RFC3164 Format = 1
	// RFC5424 is `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`.
	RFC5424 Format = 2
	// RFC3339File is an rsyslog RSYSLOG_FileFormat line:
	// `2026-03-01T00:00:00.123456+00:00 host app[pid]: msg`.
	RFC3339File Format = 3
)

func (f Format) String() string {
	switch f {
	case RFC3164:
		return "rfc3164"
	case RFC5424:
		return "rfc5424"
	case RFC3339File:
		return "rfc3339file"
	}
	return "unknown"
}

// Message is one parsed syslog message. String fields are empty when the
// message has no value for them (absent, or the RFC 5424 NILVALUE "-").
type Message struct {
	// Timestamp is the source time; zero when absent or NILVALUE.
	Timestamp time.Time
	// HasYear is false for RFC 3164 `Mmm dd hh:mm:ss` stamps, whose year
	// came from Options (or a YearGuesser), not from the message.
	HasYear bool
	// Hostname, AppName, ProcID and MsgID are the header fields. RFC 3164
	// has no MSGID.
	Hostname, AppName, ProcID, MsgID string
	// Priority is PRIVAL (0..191), or -1 when the message has no PRI.
	Priority int
	// Facility (Priority/8) and Severity (Priority%8) are -1 without PRI.
	Facility, Severity int
	// StructuredData maps SD-ID to its params (values unescaped). It is
	// nil when there is none; an SD element without params is an empty map.
	StructuredData map[string]map[string]string
	// Message is MSG: a sub-slice of the input (a leading UTF-8 BOM is
	// skipped). It may be empty.
	Message []byte
	// Format is the syntax the message was parsed as.
	Format Format
}

// Fields is a Message whose header fields are sub-slices of the input
// (nil when absent), as ParseFields fills it without allocating.
type Fields struct {
	Timestamp                        time.Time
	HasYear                          bool
	Hostname, AppName, ProcID, MsgID []byte
	Priority, Facility, Severity     int
	StructuredData                   map[string]map[string]string
	Message                          []byte
	Format                           Format
}

// AsMessage returns f as a Message, its header fields copied into strings.
func (f *Fields) AsMessage() Message {
	return Message{Timestamp: f.Timestamp, HasYear: f.HasYear, Hostname: string(f.Hostname), AppName: string(f.AppName),
		ProcID: string(f.ProcID), MsgID: string(f.MsgID), Priority: f.Priority, Facility: f.Facility, Severity: f.Severity,
		StructuredData: f.StructuredData, Message: f.Message, Format: f.Format}
}

func (m *Fields) setPriority(pri int) {
	m.Priority, m.Facility, m.Severity = pri, pri/8, pri%8
}

func (m *Fields) noPriority() {
	m.Priority, m.Facility, m.Severity = -1, -1, -1
}

// facilityNames holds the names of the 24 facility codes. Codes 0..11 and
// 16..23 are the names DESIGN.md lists; 12..15 follow syslog-ng.
var facilityNames = [24]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

var severityNames = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// FacilityName returns the name of facility code f ("kern", "local7", ...),
// or "" when f is outside 0..23.
func FacilityName(f int) string {
	if f < 0 || f >= len(facilityNames) {
		return ""
	}
	return facilityNames[f]
}

// SeverityName returns the name of severity code s ("emerg" ... "debug"),
// or "" when s is outside 0..7.
func SeverityName(s int) string {
	if s < 0 || s >= len(severityNames) {
		return ""
	}
	return severityNames[s]
}

// Attribute keys set by AppendAttrs.
const (
	AttrHost     = "host"
	AttrApp      = "app"
	AttrPID      = "pid"
	AttrMsgID    = "msgid"
	AttrFacility = "facility"
	AttrSeverity = "severity"
)

// reservedAttrs are keys an SD param may not take by its bare name: the
// ones set here, and "file", which import adds.
var reservedAttrs = [...]string{AttrHost, AttrApp, AttrPID, AttrMsgID, AttrFacility, AttrSeverity, "file"}

// AppendAttrs sets m's attributes in a (which must not be nil): host, app,
// pid, msgid, facility and severity (by name), and one attribute per RFC 5424
// SD-PARAM. Only keys that have a value are set: no facility or severity
// without PRI, no SD-PARAM whose value is empty.
//
// An SD-PARAM is named by its PARAM-NAME when that name is unique, and
// `SD-ID.PARAM-NAME` when the name (compared case-insensitively, as
// attribute keys are) equals one of host, app, pid, msgid, facility,
// severity or file, or also occurs in another SD element of the message.
// So `[origin ip="1.2.3.4"]` gives `ip=1.2.3.4`, while
// `[a host="x"][b id="1"][c id="2"]` gives `a.host=x b.id=1 c.id=2`.
func (m *Message) AppendAttrs(a chunk.Attributes) {
	if m.Hostname != "" {
		a[AttrHost] = m.Hostname
	}
	if m.AppName != "" {
		a[AttrApp] = m.AppName
	}
	if m.ProcID != "" {
		a[AttrPID] = m.ProcID
	}
	if m.MsgID != "" {
		a[AttrMsgID] = m.MsgID
	}
	if name := FacilityName(m.Facility); name != "" {
		a[AttrFacility] = name
	}
	if name := SeverityName(m.Severity); name != "" {
		a[AttrSeverity] = name
	}
	for id, params := range m.StructuredData {
		for name, value := range params {
			if value != "" {
				a[m.sdAttrKey(id, name)] = value
			}
		}
	}
}

// Attrs returns m's attributes as a new map; see AppendAttrs.
func (m *Message) Attrs() chunk.Attributes {
	n := 6
	for _, params := range m.StructuredData {
		n += len(params)
	}
	a := make(chunk.Attributes, n)
	m.AppendAttrs(a)
	return a
}

func (m *Message) sdAttrKey(id, name string) string {
	for _, r := range reservedAttrs {
		if strings.EqualFold(name, r) {
			return id + "." + name
		}
	}
	for other, params := range m.StructuredData {
		if other == id {
			continue
		}
		for n := range params {
			if strings.EqualFold(n, name) {
				return id + "." + name
			}
		}
	}
	return name
}
