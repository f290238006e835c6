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
	fac, sev := syslog.FacilityName(m.Facility), syslog.SeverityName(m.Severity)
	if max(len(m.AppName), len(m.Hostname), len(m.MsgID), len(m.ProcID), len(file)) > chunk.MaxAttrLen {
		return dst, false
	}
	n := 1 // file
	for _, l := range [...]int{len(m.AppName), len(fac), len(m.Hostname), len(m.MsgID), len(m.ProcID), len(sev)} {
		if l > 0 {
			n++
		}
	}
	dst = append(dst, byte(n)) // the uvarint of n <= 7
	// Keys in byte order: app, facility, file, host, msgid, pid, severity.
	if len(m.AppName) > 0 {
		dst = appendAttr(dst, syslog.AttrApp, "", m.AppName)
	}
	if fac != "" {
		dst = appendAttr(dst, syslog.AttrFacility, fac, nil)
	}
	dst = appendAttr(dst, AttrFile, file, nil)
	if len(m.Hostname) > 0 {
		dst = appendAttr(dst, syslog.AttrHost, "", m.Hostname)
	}
	if len(m.MsgID) > 0 {
		dst = appendAttr(dst, syslog.AttrMsgID, "", m.MsgID)
	}
	if len(m.ProcID) > 0 {
		dst = appendAttr(dst, syslog.AttrPID, "", m.ProcID)
	}
	if sev != "" {
		dst = appendAttr(dst, syslog.AttrSeverity, sev, nil)
	}
	return dst, true
}

// appendAttr appends one attribute of the chunk.Attributes encoding: a
// key shorter than 128 bytes, and a value that is s or v (the other one
// empty), so neither is converted or copied first.
func appendAttr(dst []byte, k, s string, v []byte) []byte {
	dst = append(dst, byte(len(k)))
	dst = append(dst, k...)
	if n := len(s) + len(v); n < 0x80 {
		dst = append(dst, byte(n))
	} else {
		dst = binary.AppendUvarint(dst, uint64(n))
	}
	dst = append(dst, s...)
	return append(dst, v...)
}
