// Package secantustest starts SecantusDB servers for Go tests: in memory,
// on a free port, with test commands enabled, shut down by t.Cleanup.
//
//	func TestX(t *testing.T) {
//		srv := secantustest.New(t)
//		client, _ := mongo.Connect(options.Client().ApplyURI(srv.URI()))
//		...
//	}
package secantustest

import (
	"context"
	"testing"

	"github.com/secantusdb/secantus"
)

// Option adjusts the Config a test server starts with.
type Option func(*secantus.Config)

// WithStorage stores data in dir instead of memory.
func WithStorage(dir string) Option { return func(c *secantus.Config) { c.Storage = dir } }

// WithParameter sets a server parameter, as --setParameter name=value.
func WithParameter(name, value string) Option {
	return func(c *secantus.Config) { c.Parameters[name] = value }
}

// New starts an in-memory server on 127.0.0.1 with a free port and test
// commands enabled, and closes it when the test ends.
func New(t testing.TB, opts ...Option) *secantus.Server {
	t.Helper()
	cfg := secantus.Config{
		Addr:       "127.0.0.1:0",
		Storage:    secantus.InMemory,
		Parameters: map[string]string{"enableTestCommands": "1"},
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := secantus.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start SecantusDB: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close SecantusDB: %v", err)
		}
	})
	return srv
}
