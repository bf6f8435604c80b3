package action

import (
	"github.com/pipegen/pipegen/internal/cache"
	"github.com/pipegen/pipegen/pkg/plan"
)

// A test binary carries no VCS stamp, so this build's summaries would stay local: the tests
// share them as a release build does.
func init() {
	summarizer = &cache.Summarizer{Format: "summaries/1 action-tests", Shared: true, Summarize: plan.Summarize}
}
