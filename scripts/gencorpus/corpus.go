package main

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// corpus is the compiled catalog: everything a block needs, read-only, so
// blocks share it across goroutines.
type corpus struct {
	hosts    []hostInfo
	hostPick picker
	web1     int
	classes  []classInfo
	apps     []appInfo
	lists    []valueList
	extIP    valueList
	intIP    valueList
	svcPorts valueList
	users    []userSpec
	userPick picker
	needles  []needle
}

type hostInfo struct {
	name   string
	class  int
	hash   uint64
	bootUS int64 // boot time (kernel uptime origin), unix microseconds
}

type classInfo struct {
	name string
	apps []int
	pick picker
}

type appInfo struct {
	name  string
	pid   pidMode
	hash  uint64
	tmpls []template
	pick  picker
}

type valueList struct {
	vals []string
	p    picker
}

func (l *valueList) pick(r *rng) string { return l.vals[l.p.pick(r)] }

// needle is a rare line planted a known number of times.
type needle struct {
	name  string // key in the needles file
	query string // the glarc query that finds exactly these lines
	count int
	app   int
	tmpl  template
}

// needleSpecs: the planted lines. None holds the word "error".
func needleSpecs() []struct {
	name, query, app, text string
	count                  int
} {
	return []struct {
		name, query, app, text string
		count                  int
	}{
		{"needle", "xyzzy-needle", "api", `level=info msg="canary token seen" token=xyzzy-needle request_id={hex16}`, 8},
		{"ip", "198.51.100.23", "sshd", "Failed password for root from 198.51.100.23 port {port} ssh2", 21},
		{"kv", "user=plover", "api", `level=info msg="request completed" method=POST path=/api/v1/orders status=201 duration_ms={ms} user=plover request_id={hex16}`, 5},
		{"phrase", `"quota exceeded for volume plugh"`, "kernel", "[{kts}] XFS (dm-3): quota exceeded for volume plugh, uid {n4}", 3},
	}
}

// bootHorizon: hosts booted up to this long before the span starts.
const bootHorizon = 120 * 24 * time.Hour

func newCorpus() (*corpus, error) {
	c := &corpus{}
	// value lists
	listIdx := map[string]int{}
	weights := listWeights()
	for name, vals := range lists() {
		w := weights[name]
		if w == nil {
			w = zipfWeights(len(vals), 1.0)
		}
		listIdx[name] = len(c.lists)
		c.lists = append(c.lists, valueList{vals: vals, p: newPicker(w)})
	}
	st, sw := statuses()
	listIdx["status"] = len(c.lists)
	c.lists = append(c.lists, valueList{vals: st, p: newPicker(sw)})
	sp := servicePorts()
	c.svcPorts = valueList{vals: sp, p: newPicker(zipfWeights(len(sp), 1.2))}
	c.users = users()
	c.userPick = newPicker(zipfWeights(len(c.users), 1.1))
	c.extIP = ipPool(5000, 1.1, 0xe1, false)
	c.intIP = ipPool(2000, 0.9, 0x10, true)

	// apps
	appIdx := map[string]int{}
	for _, s := range appSpecs() {
		a := appInfo{name: s.name, pid: s.pid, hash: mix(hashString(s.name))}
		var w []float64
		for _, ts := range s.templates {
			t, err := compileTemplate(ts.text, ts.w, listIdx)
			if err != nil {
				return nil, fmt.Errorf("app %s: %w", s.name, err)
			}
			a.tmpls = append(a.tmpls, t)
			w = append(w, ts.w)
		}
		a.pick = newPicker(w)
		appIdx[s.name] = len(c.apps)
		c.apps = append(c.apps, a)
	}
	// classes
	classIdx := map[string]int{}
	for _, s := range classSpecs() {
		ci := classInfo{name: s.name}
		var w []float64
		for _, a := range slices.Sorted(maps.Keys(s.apps)) {
			i, ok := appIdx[a]
			if !ok {
				return nil, fmt.Errorf("class %s: unknown app %q", s.name, a)
			}
			ci.apps = append(ci.apps, i)
			w = append(w, s.apps[a])
		}
		ci.pick = newPicker(w)
		classIdx[s.name] = len(c.classes)
		c.classes = append(c.classes, ci)
	}
	// hosts
	names, classes := hostNames()
	c.web1 = -1
	for i, n := range names {
		h := hashString(n)
		c.hosts = append(c.hosts, hostInfo{name: n, class: classIdx[classes[i]], hash: mix(h),
			bootUS: -int64(mix(h^0xb007) % uint64(bootHorizon.Microseconds()))})
		if n == "web1" {
			c.web1 = i
		}
	}
	c.hostPick = newPicker(zipfWeights(len(c.hosts), 1.0))
	// needles
	for _, s := range needleSpecs() {
		t, err := compileTemplate(s.text, 1, listIdx)
		if err != nil {
			return nil, fmt.Errorf("needle %s: %w", s.name, err)
		}
		a, ok := appIdx[s.app]
		if !ok {
			return nil, fmt.Errorf("needle %s: unknown app %q", s.name, s.app)
		}
		c.needles = append(c.needles, needle{name: s.name, query: s.query, count: s.count, app: a, tmpl: t})
	}
	return c, nil
}

// setBootBefore turns the relative boot offsets into absolute times once
// the span is known: each host booted some time before the span starts.
// Call it once, before generating.
func (c *corpus) setBootBefore(startUS int64) {
	for i := range c.hosts {
		c.hosts[i].bootUS += startUS
	}
}

// ipPool makes n distinct IPv4 addresses drawn with Zipf(s) weights.
// External pools avoid private, loopback and documentation ranges (the
// needle address 198.51.100.23 lives in one).
func ipPool(n int, s float64, seed uint64, internal bool) valueList {
	r := rng{s: seed}
	seen := map[string]bool{}
	vals := make([]string, 0, n)
	for len(vals) < n {
		var a, b int
		if internal {
			a, b = 10, r.intn(4)
		} else {
			a, b = 1+r.intn(223), r.intn(256)
			switch a {
			case 10, 100, 127, 169, 172, 192, 198, 203:
				continue
			}
		}
		ip := strconv.Itoa(a) + "." + strconv.Itoa(b) + "." + strconv.Itoa(r.intn(256)) + "." + strconv.Itoa(1+r.intn(254))
		if !seen[ip] {
			seen[ip] = true
			vals = append(vals, ip)
		}
	}
	return valueList{vals: vals, p: newPicker(zipfWeights(n, s))}
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := range len(s) {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
