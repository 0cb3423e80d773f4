package api

import (
	"context"
	"reflect"
	"slices"
	"testing"
)

type nestedItem struct {
	Kind string `json:"kind" validate:"string,in"`
}

type nestedBody struct {
	listQuery
	Color  string       `json:"color" validate:"string,in"`
	Size   string       `json:"size" validate:"optional,string,in"`
	Owner  *nestedItem  `json:"owner" validate:"optional,object"`
	Items  []nestedItem `json:"items" validate:"array"`
	Active bool         `json:"active" validate:"boolean"`
}

func TestTypedBindingValidatesNestedBodiesWithPerFieldAllowedValues(t *testing.T) {
	b := &binder{rules: newRules(false), maxBytes: 4096}
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
