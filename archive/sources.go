package archive

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// rotation describes where a file sits in a rotated set: syslog,
// syslog.1, syslog.2.gz, or syslog-20260301.
type rotation struct {
	base string // the set: path without rotation and compression suffixes
	num  int    // .N suffix; 0 for the live file
	date string // -YYYYMMDD suffix; "" for none
}

// The patterns are compiled on first use: every glarc command starts this
// package, few look at file names.
var (
	compressionSuffix = lazyRegexp(`\.(gz|zst|zstd|bz2|xz)$`)
	numberSuffix      = lazyRegexp(`\.(\d{1,4})$`)
	dateSuffix        = lazyRegexp(`-(\d{8})$`)
	// partSuffix is the end of a logcli part file's name:
	// PREFIX_START_END.part, the times as 20060102T150405 in UTC, written
	// by `logcli query --parallel-duration … --part-path-prefix PREFIX`.
	partSuffix = lazyRegexp(`_(\d{8}T\d{6})_(\d{8}T\d{6})\.part$`)
)

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// PartialLogcliPart reports whether path is a logcli part file that logcli
// is still writing (or was stopped while writing): PREFIX_START_END.part.tmp.
// logcli renames it to .part once its time range is complete; importing it
// before would cut its last line and, once complete, import the range again
// from that cut.
func PartialLogcliPart(path string) bool {
	p, ok := strings.CutSuffix(path, ".tmp")
	return ok && partSuffix().MatchString(p)
}

func rotationOf(path string) rotation {
	// logcli part files of one prefix form a set ordered by the start of
	// their time range.
	if m := partSuffix().FindStringSubmatch(path); m != nil {
		return rotation{base: strings.TrimSuffix(path, m[0]) + "\x00logcli parts", date: m[1]}
	}
	p := compressionSuffix().ReplaceAllString(path, "")
	if m := numberSuffix().FindStringSubmatch(p); m != nil {
		n, _ := strconv.Atoi(m[1])
		return rotation{base: strings.TrimSuffix(p, m[0]), num: n}
	}
	if m := dateSuffix().FindStringSubmatch(p); m != nil {
		return rotation{base: strings.TrimSuffix(p, m[0]), date: m[1]}
	}
	return rotation{base: p}
}

// SortRotated orders paths so that each rotated set is read oldest first
// (syslog.3.gz, syslog.2.gz, syslog.1, syslog; or dated files by date, the
// live file last; logcli part files of one prefix by the start of their
// range), whatever order they were given in. Sets keep the order
// in which their first member was given; "-" stays where it is relative
// to the sets.
func SortRotated(paths []string) []string {
	type item struct {
		path  string
		rot   rotation
		group int
	}
	groups := map[string]int{}
	items := make([]item, 0, len(paths))
	for _, p := range paths {
		r := rotationOf(p)
		if p == "-" {
			r = rotation{base: "\x00stdin"}
		}
		g, ok := groups[r.base]
		if !ok {
			g = len(groups)
			groups[r.base] = g
		}
		items = append(items, item{path: p, rot: r, group: g})
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if a.group != b.group {
			return a.group - b.group
		}
		// Within a set: numbered ones, highest (oldest) first; then dated
		// ones, oldest first; the live file last.
		ka, kb := rotationKey(a.rot), rotationKey(b.rot)
		if ka.class != kb.class {
			return ka.class - kb.class
		}
		if ka.class == 0 {
			return kb.num - ka.num
		}
		return strings.Compare(ka.date, kb.date)
	})
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.path
	}
	return out
}

type rotKey struct {
	class int // 0 numbered, 1 dated, 2 live
	num   int
	date  string
}

func rotationKey(r rotation) rotKey {
	switch {
	case r.num > 0:
		return rotKey{class: 0, num: r.num}
	case r.date != "":
		return rotKey{class: 1, date: r.date}
	}
	return rotKey{class: 2}
}

// ExpandDirs replaces each directory in paths by the regular files below
// it (recursively), sorted; other paths are kept. Walk errors are returned
// with the files that could be listed.
func ExpandDirs(paths []string) ([]string, []error) {
	var out []string
	var errs []error
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		var files []string
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, err)
				if d != nil && d.IsDir() && path != p {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
		if len(files) == 0 && len(errs) == 0 {
			out = append(out, p) // let the import report it
			continue
		}
		slices.Sort(files)
		out = append(out, files...)
	}
	return out, errs
}
