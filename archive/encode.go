package archive

import (
	"encoding/binary"

	"glarc/archive/syslog"
	"glarc/chunk"
)

// appendSyslogAttrs appends the chunk.Attributes encoding of a syslog
// message's attributes plus the file attribute, as AppendAttrs and
// AppendBinary would make it, without building a map. It reports false,
// appending nothing, when the message has structured data or a value too
// long: the caller then goes through the map.
func appendSyslogAttrs(dst []byte, m *syslog.Message, file string) ([]byte, bool) {
	if len(m.StructuredData) > 0 {
		return dst, false
	}
	// Keys in byte order: app, facility, file, host, msgid, pid, severity.
	kv := [...]struct{ k, v string }{
		{syslog.AttrApp, m.AppName},
		{syslog.AttrFacility, syslog.FacilityName(m.Facility)},
		{AttrFile, file},
		{syslog.AttrHost, m.Hostname},
		{syslog.AttrMsgID, m.MsgID},
		{syslog.AttrPID, m.ProcID},
		{syslog.AttrSeverity, syslog.SeverityName(m.Severity)},
	}
	n := 0
	for _, p := range kv {
		if len(p.v) > chunk.MaxAttrLen {
			return dst, false
		}
		if p.v != "" || p.k == AttrFile {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for _, p := range kv {
		if p.v == "" && p.k != AttrFile {
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(len(p.k)))
		dst = append(dst, p.k...)
		dst = binary.AppendUvarint(dst, uint64(len(p.v)))
		dst = append(dst, p.v...)
	}
	return dst, true
}
