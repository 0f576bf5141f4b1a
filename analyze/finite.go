package analyze

import (
	"math"
	"reflect"
)

// makeFinite sets every NaN or infinite float64 reachable in v (a pointer)
// to 0 and reports whether it found one: JSON has no such numbers, and a
// report that cannot be written helps no one. Score's arithmetic avoids
// them; this is the net under it.
func makeFinite(v reflect.Value) bool {
	found := false
	switch v.Kind() {
	case reflect.Float64:
		if f := v.Float(); (math.IsNaN(f) || math.IsInf(f, 0)) && v.CanSet() {
			v.SetFloat(0)
			found = true
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			found = makeFinite(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				found = makeFinite(v.Field(i)) || found
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			found = makeFinite(v.Index(i)) || found
		}
	case reflect.Map:
		// Result holds no map of floats; Criteria's are strings.
	}
	return found
}
