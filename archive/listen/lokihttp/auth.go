package lokihttp

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrBadAuthFile means an auth file line is neither `bearer TOKEN` nor
// `basic USER:PASSWORD`.
var ErrBadAuthFile = errors.New("bad auth file")

// Auth is the set of credentials the push endpoint accepts.
type Auth struct {
	tokens [][32]byte // sha256 of each bearer token
	basic  [][32]byte // sha256 of each "user:password"
}

// ParseAuth reads an auth file: one credential per line, `bearer TOKEN` or
// `basic USER:PASSWORD`; blank lines and lines starting with # are skipped.
// A request is accepted when it carries any of them.
func ParseAuth(data []byte) (*Auth, error) {
	a := &Auth{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		kind, cred, ok := strings.Cut(line, " ")
		cred = strings.TrimSpace(cred)
		switch {
		case !ok || cred == "":
			return nil, fmt.Errorf("%w: line %d: want `bearer TOKEN` or `basic USER:PASSWORD`", ErrBadAuthFile, n)
		case strings.EqualFold(kind, "bearer"):
			a.tokens = append(a.tokens, sha256.Sum256([]byte(cred)))
		case strings.EqualFold(kind, "basic") && strings.Contains(cred, ":"):
			a.basic = append(a.basic, sha256.Sum256([]byte(cred)))
		default:
			return nil, fmt.Errorf("%w: line %d: want `bearer TOKEN` or `basic USER:PASSWORD`", ErrBadAuthFile, n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadAuthFile, err)
	}
	if len(a.tokens)+len(a.basic) == 0 {
		return nil, fmt.Errorf("%w: no credentials", ErrBadAuthFile)
	}
	return a, nil
}

// Check reports whether r carries an accepted credential.
func (a *Auth) Check(r *http.Request) bool {
	if user, pass, ok := r.BasicAuth(); ok {
		return match(a.basic, user+":"+pass)
	}
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return match(a.tokens, strings.TrimSpace(h[7:]))
	}
	return false
}

func match(set [][32]byte, cred string) bool {
	sum := sha256.Sum256([]byte(cred))
	ok := 0
	for i := range set {
		ok |= subtle.ConstantTimeCompare(set[i][:], sum[:])
	}
	return ok == 1
}

// Wrap requires a credential before h runs (401 otherwise).
func (a *Auth) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.Check(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="glarc", charset="UTF-8"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
