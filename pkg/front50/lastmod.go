package front50

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// bumpAttempts bounds the rereads when other writers keep bumping concurrently.
const bumpAttempts = 5

// BumpLastModified writes max(the store's clock in ms, current+1), so the value only ever
// grows, and returns the value written. Every Front50 replica compares it with the last value
// it saw, so a writer whose clock runs ahead would stop UI saves from reaching the other
// replicas until real time caught up: the store's clock is used, not the machine's. The write
// is conditional on the file being as read; when another writer bumped it meanwhile, it is
// read again. now is used only for a store that gives no clock.
func BumpLastModified(ctx context.Context, s Store, now time.Time) (int64, error) {
	return bumpLastModified(ctx, s, now)
}

// lastModifiedRW is one group's last-modified.json, read with its ETag and the store's clock.
type lastModifiedRW interface {
	ReadLastModified(ctx context.Context) (int64, string, time.Time, error)
	WriteLastModified(ctx context.Context, ms int64, ifETag string) error
}

func bumpLastModified(ctx context.Context, s lastModifiedRW, now time.Time) (int64, error) {
	var err error
	for range bumpAttempts {
		var cur int64
		var etag string
		var clock time.Time
		cur, etag, clock, err = s.ReadLastModified(ctx)
		if err != nil {
			return 0, err
		}
		if clock.IsZero() {
			clock = now
		}
		v := max(clock.UnixMilli(), cur+1)
		if err = s.WriteLastModified(ctx, v, etag); err == nil {
			return v, nil
		}
		if !errors.Is(err, ErrPrecondition) {
			return 0, err
		}
	}
	return 0, fmt.Errorf("last-modified.json kept changing under %d attempts: %w", bumpAttempts, err)
}
