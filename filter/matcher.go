package filter

import (
	"context"
	"fmt"
	"log/slog"

	lru "github.com/hashicorp/golang-lru/v2"
)

// DefaultCacheSize is how many compiled filters a Matcher keeps: a
// filter's text is at most hookflow.MaxFilterLength characters, so the
// cache stays within a few MiB.
const DefaultCacheSize = 1024

// Matcher decides at publish time whether a webhook's filter matches an
// event. It keeps the most recently used compiled programs, keyed by the
// expression's text, so a publish does not compile again. It is safe for
// concurrent use.
type Matcher struct {
	env      *Env
	programs *lru.Cache[string, compiled]
	logger   *slog.Logger
}

// compiled is a cached compilation: a program or why there is none.
type compiled struct {
	prg *Program
	err error
}

// NewMatcher builds a Matcher keeping up to size programs (DefaultCacheSize
// when size is not positive); it logs failed evaluations to logger.
func NewMatcher(size int, logger *slog.Logger) *Matcher {
	if size <= 0 {
		size = DefaultCacheSize
	}
	env, err := NewEnv()
	if err != nil {
		panic(err) // the declarations are fixed: a programming error, caught by every test
	}
	programs, err := lru.New[string, compiled](size)
	if err != nil {
		panic(fmt.Sprintf("filter cache: %v", err)) // size is positive
	}
	return &Matcher{env: env, programs: programs, logger: logger}
}

// Program returns the compiled expr, from the cache when it is there.
func (m *Matcher) Program(expr string) (*Program, error) {
	if c, ok := m.programs.Get(expr); ok {
		return c.prg, c.err
	}
	prg, err := m.env.Compile(expr)
	m.programs.Add(expr, compiled{prg: prg, err: err})
	return prg, err
}

// Match reports whether webhookID's filter expr matches ev; an empty
// filter matches every event. A filter that fails (it no longer compiles,
// it passes its runtime cost limit, it reads a key the payload lacks, it
// compares values of different types) does not match: the webhook misses
// that event rather than every webhook's publish failing, and the failure
// is logged with the webhook and the event.
func (m *Matcher) Match(ctx context.Context, expr string, ev *Event, webhookID, eventID string) bool {
	if expr == "" {
		return true
	}
	prg, err := m.Program(expr)
	if err == nil {
		var ok bool
		if ok, err = prg.Match(ev); err == nil {
			return ok
		}
	}
	m.logger.InfoContext(ctx, "filter failed; the event does not match", "webhook_id", webhookID, "event_id", eventID, "error", err)
	return false
}
