package archive

import (
	"encoding/binary"

	"glarc/archive/syslog"
	"glarc/chunk"
)

// appendSyslogAttrs appends the chunk.Attributes encoding of a syslog
// message's attributes plus the file attribute, as Message.AppendAttrs
// and AppendBinary would make it, without building a map or a string. It
// reports false, appending nothing, when the message has structured data
// or a value too long: the caller then goes through the map.
func appendSyslogAttrs(dst []byte, m *syslog.Fields, file string) ([]byte, bool) {
	if len(m.StructuredData) > 0 {
		return dst, false
	}
	// Keys in byte order: app, facility, file, host, msgid, pid, severity.
	// A value is s or v (the other one empty): no conversion, no copy.
	kv := [...]struct {
		k, s string
		v    []byte
	}{
		{syslog.AttrApp, "", m.AppName},
		{syslog.AttrFacility, syslog.FacilityName(m.Facility), nil},
		{AttrFile, file, nil},
		{syslog.AttrHost, "", m.Hostname},
		{syslog.AttrMsgID, "", m.MsgID},
		{syslog.AttrPID, "", m.ProcID},
		{syslog.AttrSeverity, syslog.SeverityName(m.Severity), nil},
	}
	n := 0
	for _, p := range kv {
		l := len(p.s) + len(p.v)
		if l > chunk.MaxAttrLen {
			return dst, false
		}
		if l > 0 || p.k == AttrFile {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for _, p := range kv {
		l := len(p.s) + len(p.v)
		if l == 0 && p.k != AttrFile {
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(len(p.k)))
		dst = append(dst, p.k...)
		dst = binary.AppendUvarint(dst, uint64(l))
		dst = append(dst, p.s...)
		dst = append(dst, p.v...)
	}
	return dst, true
}
