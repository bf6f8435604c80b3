package cmdutil

import (
	"context"

	"github.com/pipegen/pipegen/pkg/config"
	"github.com/pipegen/pipegen/pkg/services"
)

// loadNames reads service and stack names for completion; a broken file just yields fewer names.
func loadNames(ctx context.Context, cfg *config.Config) (names, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	repo, _ := services.Load(ctx, cfg.Root, cfg.Services)
	svcs, stacks := map[string]bool{}, map[string]bool{}
	if repo != nil {
		for _, s := range repo.Services {
			svcs[s.Name] = true
			for _, st := range s.Stacks {
				stacks[st.Name] = true
			}
		}
	}
	return names{services: sortedSet(svcs), stacks: sortedSet(stacks)}, nil
}
