package output

import (
	"fmt"
	"io"

	"github.com/pipegen/pipegen/pkg/action"
	"github.com/pipegen/pipegen/pkg/iostreams"
	"github.com/pipegen/pipegen/pkg/plan"
)

// SyncReport prints what a sync did. Each pipeline written or deleted is named on errOut
// (unless quiet), every failure, pipeline not started, a failed last-modified.json bump and
// summaries not shared always; the one-line outcome goes to out. cs colours errOut.
func SyncReport(out, errOut io.Writer, rep *action.Report, cs *iostreams.ColorScheme, quiet bool) error {
	o, e := &errWriter{w: out}, &errWriter{w: errOut}
	verb := map[plan.Action]string{plan.Create: "created", plan.Update: "updated", plan.Adopt: "adopted", plan.Delete: "deleted"}
	appsReport(e, rep, cs, quiet)
	counts := map[plan.Action]int{}
	for _, d := range rep.Done {
		counts[d.Item.Action]++
		if !quiet {
			e.println(fmt.Sprintf("%s %s/%s (%s)", verb[d.Item.Action], d.Item.Application, d.Item.Name, d.Item.ID))
		}
	}
	for _, it := range rep.Conflicts {
		e.println(fmt.Sprintf("%s %s/%s not written (%s): %s", cs.Red("conflict:"), it.Application, it.Name, it.Source, it.Reason))
	}
	for _, f := range rep.Failed {
		e.println(fmt.Sprintf("%s %s/%s not %s: %v", cs.Red("failed:"), f.Item.Application, f.Item.Name, verb[f.Item.Action], f.Err))
	}
	for _, it := range rep.NotStarted {
		e.println(fmt.Sprintf("%s %s/%s not %s (interrupted before it started)", cs.Yellow("skipped:"), it.Application, it.Name, verb[it.Action]))
	}
	if rep.BumpErr != nil {
		e.println(fmt.Sprintf("%s last-modified.json not updated: %v (Front50 still sees the changes within its refresh interval, about a minute)", cs.Red("error:"), rep.BumpErr))
	}
	if rep.SummariesErr != nil {
		e.println(fmt.Sprintf("%s pipeline summaries not shared: %v (Front50's objects are fine; a diff without a cache reads every pipeline until a sync shares them)", cs.Yellow("warning:"), rep.SummariesErr))
	}
	if n := len(rep.AppDone); n > 0 {
		o.println(fmt.Sprintf("Applications: %d written.", n))
	}
	if len(rep.Done) == 0 && len(rep.Failed) == 0 && len(rep.NotStarted) == 0 && len(rep.Conflicts) == 0 &&
		len(rep.AppDone) == 0 && len(rep.AppFailed) == 0 && len(rep.AppNotStarted) == 0 && len(rep.AppConflicts) == 0 {
		o.println("Nothing to do: the store matches the source.")
	} else {
		line := fmt.Sprintf("Applied: %d created, %d updated, %d deleted", counts[plan.Create], counts[plan.Update]+counts[plan.Adopt], counts[plan.Delete])
		if n := len(rep.Conflicts); n > 0 {
			line += fmt.Sprintf(", %d conflict(s) not written", n)
		}
		if n := len(rep.Failed); n > 0 {
			line += fmt.Sprintf(", %d failed", n)
		}
		if n := len(rep.NotStarted); n > 0 {
			line += fmt.Sprintf(", %d not started", n)
		}
		o.println(line + ".")
	}
	if e.err != nil {
		return e.err
	}
	return o.err
}

// ImportOptions shape the import summary.
type ImportOptions struct {
	DryRun, Verbose, Quiet bool
	// Next is the diff command that shows the imported pipelines, with the flags the import
	// was given, for the closing hint.
	Next string
}

// ImportSummary prints what an import wrote (or, with DryRun, would write): the files, the
// pipelines they render, what was left alone or skipped, and what to do next.
func ImportSummary(w io.Writer, ip *action.ImportPlan, cs *iostreams.ColorScheme, opt ImportOptions) error {
	ew := &errWriter{w: w}
	if len(ip.Pipelines) == 0 {
		ew.println(fmt.Sprintf("Nothing to import from application %s in %s.", ip.Application, ip.Store))
		importSkipped(ew, ip, opt.Verbose)
		return ew.err
	}
	verb := "Wrote"
	if opt.DryRun {
		verb = "Would write"
	}
	ew.println(fmt.Sprintf("%s %d pipeline(s) of %s from %s as %d template(s):", verb, len(ip.Pipelines), ip.Application, ip.Store, ip.Templates))
	for _, file := range ip.Files {
		if file.Old != nil {
			ew.println(fmt.Sprintf("  %s %s  (entries added)", cs.Yellow("~"), file.Display))
			continue
		}
		ew.println(fmt.Sprintf("  %s %s", cs.Green("+"), file.Display))
	}
	for _, p := range ip.Pipelines {
		vars := ""
		if p.Vars > 0 {
			vars = fmt.Sprintf(", %d variable(s)", p.Vars)
		}
		ew.println(fmt.Sprintf("    %s  %s/%s from %s%s", p.Name, p.Stack, p.Key, p.Template, vars))
		if opt.Verbose {
			for _, c := range p.OwnershipChange {
				ew.println("        next sync: " + c)
			}
		}
	}
	importSkipped(ew, ip, opt.Verbose)
	if opt.DryRun {
		ew.println("Nothing was written (--dry-run).")
		return ew.err
	}
	if !opt.Quiet {
		ew.println(fmt.Sprintf("The store was not changed. Next: review and commit the files; %s shows them as to adopt (ownership is the only change), and pipegen sync takes them over, keeping their ids.", opt.Next))
	}
	return ew.err
}

func importSkipped(ew *errWriter, ip *action.ImportPlan, verbose bool) {
	managed := 0
	var other []action.SkippedPipeline
	for _, s := range ip.Skipped {
		if s.Managed {
			managed++
			continue
		}
		other = append(other, s)
	}
	if managed > 0 {
		ew.println(fmt.Sprintf("Left alone: %d pipeline(s) pipegen manages already (or will, from the service file); -v lists them.", managed))
		if verbose {
			for _, s := range ip.Skipped {
				if s.Managed {
					ew.println(fmt.Sprintf("  - %s (%s): %s", s.Name, s.ID, s.Reason))
				}
			}
		}
	}
	if len(other) == 0 {
		return
	}
	ew.println(fmt.Sprintf("Skipped %d pipeline(s):", len(other)))
	for _, s := range other {
		ew.println(fmt.Sprintf("  - %s (%s): %s", s.Name, s.ID, s.Reason))
	}
}
