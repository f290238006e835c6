// Package lokihttp is glarc serve's Loki push endpoint: an http.Handler for
// POST /loki/api/v1/push that answers as Loki does (FORMATS.md in the
// shared test data): JSON or snappy protobuf bodies, Content-Encoding gzip,
// deflate or snappy, 204 once the records are written (and fsynced when
// the queue syncs), 400 with a plain-text reason, 413 over the size limits,
// 429 when the ingest queue is full.
//
//	q := ingest.New(a, ingest.Options{Sync: true})
//	auth, _ := lokihttp.ParseAuth(fileBytes)      // optional
//	h := lokihttp.NewPushHandler(q, lokihttp.Options{Auth: auth})
//	mux.Handle("POST /loki/api/v1/push", h)
//
// The X-Scope-OrgID header, when present, is kept as the tenant attribute
// of every record of the push (tenant_header if the stream has a tenant
// label of its own).
package lokihttp

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"

	"glarc/archive/listen/ingest"
	"glarc/archive/loki"
	"glarc/chunk"
)

// Attribute names set from request headers.
const (
	// AttrTenant holds the X-Scope-OrgID header.
	AttrTenant = "tenant"
	// AttrTenantHeader holds it when a stream label is already named tenant.
	AttrTenantHeader = "tenant_header"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes    = 16 << 20
	DefaultMaxDecodedBytes = 64 << 20
	DefaultMaxLineBytes    = 256 << 10
	DefaultMaxAttrs        = 64
)

// Options configure the push handler. The zero value is usable.
type Options struct {
	// MaxBodyBytes bounds the request body as sent (413 beyond).
	MaxBodyBytes int64
	// MaxDecodedBytes bounds the body after gzip/deflate (413 beyond).
	MaxDecodedBytes int64
	// MaxLineBytes bounds one log line (400 beyond).
	MaxLineBytes int
	// MaxAttrs bounds labels plus structured metadata of one entry (400 beyond).
	MaxAttrs int
	// Auth, if set, is required on every push (401 without).
	Auth *Auth
	// Counters, if set, are updated.
	Counters *ingest.Counters
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the clock for IngestTS; nil means time.Now.
	Now func() time.Time
}

// pushHandler serves POST /loki/api/v1/push.
type pushHandler struct {
	q    *ingest.Queue
	opts Options
	log  *slog.Logger
}

// NewPushHandler returns the push handler writing into q.
func NewPushHandler(q *ingest.Queue, opts Options) http.Handler {
	opts.MaxBodyBytes = cmp.Or(opts.MaxBodyBytes, DefaultMaxBodyBytes)
	opts.MaxDecodedBytes = cmp.Or(opts.MaxDecodedBytes, DefaultMaxDecodedBytes)
	opts.MaxLineBytes = cmp.Or(opts.MaxLineBytes, DefaultMaxLineBytes)
	opts.MaxAttrs = cmp.Or(opts.MaxAttrs, DefaultMaxAttrs)
	if opts.Counters == nil {
		opts.Counters = new(ingest.Counters)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	var h http.Handler = &pushHandler{q: q, opts: opts, log: opts.Logger.With("listener", "loki")}
	if opts.Auth != nil {
		h = opts.Auth.Wrap(h)
	}
	return h
}

// httpError is a response other than 204.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

func (h *pushHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "only POST is accepted", http.StatusMethodNotAllowed)
		return
	}
	n, err := h.push(r)
	if err == nil {
		h.opts.Counters.Received.Add(int64(n))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var he *httpError
	if !errors.As(err, &he) {
		he = errorf(http.StatusInternalServerError, "%v", err)
	}
	switch he.status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		h.opts.Counters.Dropped.Add(int64(n))
		w.Header().Set("Retry-After", "1")
	default:
		h.opts.Counters.Rejected.Add(1)
	}
	h.log.Debug("push refused", "status", he.status, "reason", he.msg, "remote", r.RemoteAddr)
	http.Error(w, he.msg, he.status)
}

// push decodes and commits one request; n is the number of entries.
func (h *pushHandler) push(r *http.Request) (n int, err error) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "Content-Type %q: %v", r.Header.Get("Content-Type"), err)
	}
	enc := r.Header.Get("Content-Encoding")
	switch enc {
	case "", "gzip", "deflate", "snappy":
	default:
		return 0, errorf(http.StatusBadRequest, "Content-Encoding %q not supported", enc)
	}
	body, err := h.readBody(r, enc)
	if err != nil {
		return 0, err
	}
	var entries []loki.Entry
	if mediaType == "application/json" {
		entries, err = loki.DecodePushJSON(body)
	} else {
		entries, err = loki.DecodePushProto(body)
	}
	switch {
	case errors.Is(err, loki.ErrPushTooLarge):
		return 0, errorf(http.StatusRequestEntityTooLarge, "%v", err)
	case err != nil:
		return 0, errorf(http.StatusBadRequest, "%v", err)
	}
	recs, err := h.records(entries, r.Header.Get("X-Scope-OrgID"))
	if err != nil {
		return 0, err
	}
	switch err := h.q.Commit(r.Context(), recs); {
	case err == nil:
		return len(recs), nil
	case errors.Is(err, ingest.ErrQueueFull):
		return len(recs), errorf(http.StatusTooManyRequests, "ingest queue full, retry later")
	case errors.Is(err, ingest.ErrQueueClosed):
		return len(recs), errorf(http.StatusServiceUnavailable, "shutting down")
	case errors.Is(err, context.Canceled):
		return len(recs), errorf(http.StatusServiceUnavailable, "request cancelled before the records were written")
	default:
		h.log.Error("push not written", "err", err)
		return len(recs), errorf(http.StatusInternalServerError, "write failed: %v", err)
	}
}

func (h *pushHandler) readBody(r *http.Request, enc string) ([]byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.opts.MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errorf(http.StatusRequestEntityTooLarge, "body larger than %d bytes", h.opts.MaxBodyBytes)
	}
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "read body: %v", err)
	}
	h.opts.Counters.Bytes.Add(int64(len(raw)))
	var zr io.ReadCloser
	switch enc {
	case "gzip":
		g, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "gzip: %v", err)
		}
		zr = g
	case "deflate":
		zr = flate.NewReader(bytes.NewReader(raw))
	default:
		return raw, nil
	}
	defer zr.Close()
	body, err := io.ReadAll(io.LimitReader(zr, h.opts.MaxDecodedBytes+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%s: %v", enc, err)
	}
	if int64(len(body)) > h.opts.MaxDecodedBytes {
		return nil, errorf(http.StatusRequestEntityTooLarge, "body larger than %d bytes after %s", h.opts.MaxDecodedBytes, enc)
	}
	return body, nil
}

// records checks the limits and turns entries into records.
func (h *pushHandler) records(entries []loki.Entry, tenant string) ([]chunk.Record, error) {
	now := h.opts.Now()
	recs := make([]chunk.Record, len(entries))
	for i, e := range entries {
		if len(e.Line) > h.opts.MaxLineBytes {
			return nil, errorf(http.StatusBadRequest, "entry %d: line of %d bytes, at most %d", i, len(e.Line), h.opts.MaxLineBytes)
		}
		if e.Labels == nil {
			e.Labels = make(chunk.Attributes, 1)
		}
		if tenant != "" {
			key := AttrTenant
			if _, clash := e.Labels[AttrTenant]; clash {
				key = AttrTenantHeader
			}
			e.Labels[key] = tenant
		}
		if len(e.Labels) > h.opts.MaxAttrs {
			return nil, errorf(http.StatusBadRequest, "entry %d: %d labels and metadata, at most %d", i, len(e.Labels), h.opts.MaxAttrs)
		}
		recs[i] = e.Record(now)
	}
	return recs, nil
}
