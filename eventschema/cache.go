package eventschema

import "sync"

// Cache keeps compiled schemas by catalog event id, each with the schema
// revision it was compiled from, so that a changed schema is never used
// stale: a lookup names the revision it wants. It holds at most size
// schemas; past that, one entry makes room for the next.
type Cache struct {
	mu      sync.Mutex
	size    int
	entries map[string]cached
}

type cached struct {
	revision int64
	schema   *Schema
}

// NewCache makes a Cache of at most size schemas (at least 1).
func NewCache(size int) *Cache {
	return &Cache{size: max(size, 1), entries: make(map[string]cached)}
}

// Get answers the schema of the event compiled from revision, or nil.
func (c *Cache) Get(eventID string, revision int64) *Schema {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[eventID]; ok && e.revision == revision {
		return e.schema
	}
	return nil
}

// Put keeps the schema of the event compiled from revision, replacing any
// other revision of it.
func (c *Cache) Put(eventID string, revision int64, s *Schema) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[eventID]; !ok && len(c.entries) >= c.size {
		for id := range c.entries { // any one: the catalog is small, misses are cheap
			delete(c.entries, id)
			break
		}
	}
	c.entries[eventID] = cached{revision: revision, schema: s}
}

// Len answers how many schemas the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
