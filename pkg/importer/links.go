package importer

// LinkPipelines makes references to other pipelines by id (a pipeline trigger's or pipeline
// stage's `pipeline`) references by name, where resolve finds the pipeline with that id and
// its name can be written in a template. app is the application of the pipeline itself.
func LinkPipelines(tree *Node, app string, resolve func(id string) (app, name string, ok bool)) {
	for _, list := range []string{"stages", "triggers"} {
		l := tree.Get(list)
		if l == nil || l.Kind != Array {
			continue
		}
		for _, it := range l.List {
			if t, _ := it.Get("type").Str(); t != "pipeline" {
				continue
			}
			ref := it.Get("pipeline")
			id, ok := ref.Str()
			if !ok || id == "" {
				continue
			}
			a, name, ok := resolve(id)
			// The stage or trigger names the application too; a reference that disagrees
			// with it is left as it is, for a human to look at.
			if own, has := it.Get("application").Str(); !ok || !has || own != a || !CanLiteral(name) || !CanLiteral(a) {
				continue
			}
			ref.Ref = &PipelineRef{App: a, Name: name, SameApp: a == app}
		}
	}
}
