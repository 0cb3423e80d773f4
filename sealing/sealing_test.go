package sealing_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/sealing"
)

func key(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, sealing.KeySize))
}

func ring(t *testing.T, spec string) *sealing.KeyRing {
	t.Helper()
	r, err := sealing.ParseKeyRing(spec)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealedSecretOpensOnlyWithItsContext(t *testing.T) {
	r := ring(t, "new:"+key(1)+",old:"+key(2))
	secret := []byte("whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0")
	sealed, err := r.Seal(secret, []byte("row-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "v1:new:") || strings.Contains(sealed, string(secret)) {
		t.Fatalf("sealed = %q, want v1 under the newest key without the secret", sealed)
	}
	got, err := r.Open(sealed, []byte("row-1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v; want the secret", got, err)
	}
	if _, err := r.Open(sealed, []byte("row-2")); !errors.Is(err, sealing.ErrOpen) {
		t.Errorf("Open under another row's context: %v, want ErrOpen", err)
	}
	again, _ := r.Seal(secret, []byte("row-1"))
	if again == sealed {
		t.Error("two seals of one secret are equal: data keys or nonces are reused")
	}
}

func TestRewrapMovesTheDataKeyToTheNewestKeyOnly(t *testing.T) {
	old := ring(t, "old:"+key(2))
	sealed, err := old.Seal([]byte("hand-set-secret-of-24-chars"), []byte("row"))
	if err != nil {
		t.Fatal(err)
	}
	rotated := ring(t, "new:"+key(1)+",old:"+key(2))
	out, changed, err := rotated.Rewrap(sealed, []byte("row"))
	if err != nil || !changed || !strings.HasPrefix(out, "v1:new:") {
		t.Fatalf("Rewrap = %q, %v, %v; want it under key new", out, changed, err)
	}
	if strings.Split(out, ":")[3] != strings.Split(sealed, ":")[3] {
		t.Error("the sealed secret changed; only its data key should be re-wrapped")
	}
	newOnly := ring(t, "new:"+key(1))
	if got, err := newOnly.Open(out, []byte("row")); err != nil || string(got) != "hand-set-secret-of-24-chars" {
		t.Errorf("Open after the old key is dropped = %q, %v", got, err)
	}
	if _, err := newOnly.Open(sealed, []byte("row")); err == nil || !strings.Contains(err.Error(), `"old"`) {
		t.Errorf("Open of a value under a dropped key: %v, want an error naming the key", err)
	}
	if again, changed, err := rotated.Rewrap(out, []byte("row")); err != nil || changed || again != out {
		t.Errorf("Rewrap of a value under the newest key changed it (%v, %v)", changed, err)
	}
}

func TestTamperedKeyIDDoesNotOpen(t *testing.T) {
	same := key(1)
	r := ring(t, "a:"+same+",b:"+same)
	sealed, _ := r.Seal([]byte("secret"), nil)
	if _, err := r.Open(strings.Replace(sealed, "v1:a:", "v1:b:", 1), nil); !errors.Is(err, sealing.ErrOpen) {
		t.Errorf("a swapped key id opened: %v", err)
	}
}

func TestParseKeyRingReportsEveryBadEntry(t *testing.T) {
	for _, tc := range []struct{ name, spec, want string }{
		{"empty", " ", "no key"},
		{"no id", ":" + key(1), "key id"},
		{"no colon", key(1), "want id:base64"},
		{"bad id", "a b:" + key(1), "key id \"a b\""},
		{"duplicate id", "a:" + key(1) + ",a:" + key(2), `key id "a" appears twice`},
		{"short key", "a:" + base64.StdEncoding.EncodeToString(make([]byte, 16)), "exactly 32 bytes"},
		{"not base64", "a:!!!", "exactly 32 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sealing.ParseKeyRing(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseKeyRing(%q) = %v, want an error with %q", tc.spec, err, tc.want)
			}
		})
	}
	r := ring(t, " k2:"+key(2)+" , k1:"+key(1))
	if r.CurrentKeyID() != "k2" || strings.Join(r.KeyIDs(), ",") != "k2,k1" {
		t.Errorf("ids %v, current %s; want k2,k1 with k2 current", r.KeyIDs(), r.CurrentKeyID())
	}
	if !r.Holds(bytes.Repeat([]byte{1}, 32)) || r.Holds(bytes.Repeat([]byte{3}, 32)) {
		t.Error("Holds does not tell the ring's keys")
	}
}
