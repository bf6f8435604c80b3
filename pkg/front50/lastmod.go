package front50

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// parseLastModified reads last-modified.json as Front50 does: Jackson maps
// the body to a Map and the value is cast to Long, so anything but a JSON
// integer outside the int range (a string, a float, a small number Jackson
// keeps as Integer, a missing key, broken JSON) reads as 0.
func parseLastModified(body []byte) int64 {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return 0
	}
	n, ok := m["lastModified"].(json.Number)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		return 0
	}
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		return 0
	}
	return v
}

// lastModifiedBody is what Front50 writes: {"lastModified":<ms>}, compact.
func lastModifiedBody(ms int64) []byte {
	return []byte(`{"lastModified":` + strconv.FormatInt(ms, 10) + `}`)
}

// BumpLastModified writes max(now in ms, current+1), so the value only ever
// grows even when clocks disagree, and returns the value written.
func BumpLastModified(ctx context.Context, s Store, now time.Time) (int64, error) {
	cur, err := s.LastModified(ctx)
	if err != nil {
		return 0, err
	}
	v := max(now.UnixMilli(), cur+1)
	if err := s.SetLastModified(ctx, v); err != nil {
		return 0, err
	}
	return v, nil
}
