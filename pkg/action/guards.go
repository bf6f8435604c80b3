package action

import (
	"context"
	"fmt"

	"github.com/pipegen/pipegen/pkg/front50"
)

// StoreHasData reports whether the store holds any Front50 object. A store that cannot tell
// is taken to hold data (the guard it feeds then does not apply).
func StoreHasData(ctx context.Context, store front50.Store) (bool, error) {
	l, ok := front50.LockerOf(store)
	if !ok {
		return true, nil
	}
	has, err := l.HasData(ctx)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", store.Location(), err)
	}
	return has, nil
}
