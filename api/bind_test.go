package api

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/hookflow/hookflow"
)

type nestedItem struct {
	Kind string `json:"kind" validate:"string,in"`
}

type nestedBody struct {
	skipTakePage
	Color  string       `json:"color" validate:"string,in"`
	Size   string       `json:"size" validate:"optional,string,in"`
	Owner  *nestedItem  `json:"owner" validate:"optional,object"`
	Items  []nestedItem `json:"items" validate:"array"`
	Active bool         `json:"active" validate:"boolean"`
}

func TestTypedBindingValidatesNestedBodiesWithPerFieldAllowedValues(t *testing.T) {
	b := &binder{rules: newRules(false, hookflow.TargetPorts{}), maxBytes: 4096}
	allowed := fieldValues{"color": {"red", "blue"}, "size": {"S", "M"}, "owner.kind": {"person"}, "items.kind": {"box"}}
	obj := map[string]any{
		"color": "green", "size": "S", "owner": map[string]any{"kind": "robot", "extra": 1},
		"items": []any{map[string]any{"kind": "crate"}, map[string]any{"kind": 7}}, "active": "yes", "take": "0",
	}
	got := b.rules.check(context.Background(), reflect.TypeFor[nestedBody](), obj, checkMode{values: allowed}, "")
	want := []string{
		"take must not be less than 1",
		"color must be one of the following values: red, blue",
		"owner.kind must be one of the following values: person",
		"owner.property extra should not exist",
		"items.0.kind must be one of the following values: box",
		"items.1.kind must be a string",
		"items.1.kind must be one of the following values: box",
		"active must be a boolean value",
	}
	if !slices.Equal(got, want) {
		t.Errorf("failures =\n%q\nwant\n%q", got, want)
	}

	good := map[string]any{"color": "blue", "owner": map[string]any{"kind": "person"}, "items": []any{}, "active": true, "order_by": "DESC"}
	body, err := decode[nestedBody](context.Background(), b, good, allowing(allowed))
	if err != nil {
		t.Fatal(err)
	}
	if body.Color != "blue" || body.Owner == nil || body.Owner.Kind != "person" || !body.Active || body.page().Descending != true || body.page().Take != 10 {
		t.Errorf("decoded = %+v", body)
	}
}

type filledBody struct {
	Name    *string         `json:"name" validate:"string"`
	Count   int             `json:"count" validate:"int"`
	Tags    []string        `json:"tags" validate:"optional,array,each_string"`
	Data    json.RawMessage `json:"data" validate:"object"`
	Stamp   json.Number     `json:"stamp" validate:"number"`
	Enabled bool            `json:"enabled" validate:"boolean"`
}

// Binding decodes the body once: the rules run over the raw values, which
// are then copied into the typed fields without a JSON round trip.
func TestDecodeFillsTypedFieldsFromTheCheckedValues(t *testing.T) {
	b := &binder{rules: newRules(false, hookflow.TargetPorts{}), maxBytes: 4096}
	obj := map[string]any{"name": "n", "count": "3", "tags": []any{}, "data": map[string]any{"b": json.Number("1.50"), "a": []any{true}},
		"stamp": "12", "enabled": true}
	got, err := decode[filledBody](context.Background(), b, obj)
	if err != nil {
		t.Fatal(err)
	}
	if *got.Name != "n" || got.Count != 3 || got.Tags == nil || len(got.Tags) != 0 || string(got.Data) != `{"a":[true],"b":1.50}` ||
		got.Stamp != "12" || !got.Enabled {
		t.Errorf("decoded = %+v, data %s", got, got.Data)
	}
	_, err = decode[filledBody](context.Background(), b, map[string]any{"name": 1, "count": true, "data": "x", "stamp": false, "enabled": "yes", "extra": 1})
	want := []string{"name must be a string", "count must be an integer number", "data must be an object",
		"stamp must be a number conforming to the specified constraints", "enabled must be a boolean value", "property extra should not exist"}
	var appErr *hookflow.Error
	if !errors.As(err, &appErr) || !slices.Equal(appErr.Details, want) {
		t.Errorf("err = %v, want every failure at once: %q", err, want)
	}
}
