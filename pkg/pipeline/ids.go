package pipeline

import (
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// Namespace is the UUIDv5 namespace of every id pipegen derives. It is itself
// uuid5(NAMESPACE_URL, "https://github.com/pipegen/pipegen"), so anyone can recompute an id,
// e.g. in Python: uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/pipegen/pipegen"),
// "pipeline:my-microservice/prod/deploy"). Changing it would re-key every pipeline of every
// user: it is fixed forever.
var Namespace = uuid.MustParse("240d5ed0-20b6-50f0-aa72-7c656ef76fd5")

// PipelineID derives a pipeline's id from its identity (service, stack, key). Names are
// lower-cased and trimmed first, because Front50 keys are lower-case and "Prod" and "prod" are
// the same stack to a human.
func PipelineID(service, stack, key string) string {
	return derive("pipeline:" + norm(service) + "/" + norm(stack) + "/" + norm(key))
}

// ArtifactID derives an expected artifact's id from its pipeline and its displayName; label is
// the displayName, or "#<position>" for an artifact that has none.
func ArtifactID(pipelineID, label string) string {
	return derive("artifact:" + pipelineID + "/" + strings.TrimSpace(label))
}

// TriggerID derives a trigger's id from its pipeline and its position in `triggers`.
func TriggerID(pipelineID, label string) string {
	return derive("trigger:" + pipelineID + "/" + strings.TrimSpace(label))
}

func derive(name string) string {
	return uuid.NewSHA1(Namespace, []byte(name)).String() // String() is lower-case
}

func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// LooksLikeID reports whether s has the shape of a UUID (real pipelines carry stale ones).
func LooksLikeID(s string) bool { return uuidRe.MatchString(s) }
