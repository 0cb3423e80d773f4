package hookflow

import "testing"

func TestIsTextRefusesInvalidUTF8AndNUL(t *testing.T) {
	tests := map[string]bool{
		"":               true,
		"P-1":            true,
		"évènement ü 日本": true,
		"a\x00b":         false,
		"\xff\xfe":       false,
		"ok\xc3\x28":     false, // a broken two-byte sequence
	}
	for in, want := range tests {
		if got := IsText(in); got != want {
			t.Errorf("IsText(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsHeaderSafeIDAcceptsOnlyIDCharacters(t *testing.T) {
	for _, ok := range []string{"", "evt_1", "a.b:c~d-e", "0123456789", "ABCxyz"} {
		if !IsHeaderSafeID(ok) {
			t.Errorf("IsHeaderSafeID(%q) = false, want true", ok)
		}
	}
	for _, bad := range []string{"a b", "a\r\nb", "a\x00", "é", "a/b", "a\"b", "a,b", "a;b", "a\tb", "\xff"} {
		if IsHeaderSafeID(bad) {
			t.Errorf("IsHeaderSafeID(%q) = true, want false", bad)
		}
	}
}
