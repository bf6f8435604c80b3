// Package root assembles the pipegen command tree.
package root

import (
	"github.com/pipegen/pipegen/pkg/cmd/diff"
	"github.com/pipegen/pipegen/pkg/cmd/forceunlock"
	importcmd "github.com/pipegen/pipegen/pkg/cmd/import"
	initcmd "github.com/pipegen/pipegen/pkg/cmd/init"
	"github.com/pipegen/pipegen/pkg/cmd/render"
	"github.com/pipegen/pipegen/pkg/cmd/serve"
	"github.com/pipegen/pipegen/pkg/cmd/sync"
	"github.com/pipegen/pipegen/pkg/cmd/validate"
	"github.com/pipegen/pipegen/pkg/cmd/version"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// Command groups, in the order help lists them.
const (
	groupPipelines = "pipelines"
	groupStart     = "start"
	groupOther     = "other"
)

// NewCmd builds the root command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pipegen",
		Short: "Spinnaker pipelines as code: render, diff and sync to Front50's store",
		Long: `pipegen renders a services directory (microservice → stacks → pipeline templates)
through pongo2 templates into Spinnaker pipelines with deterministic ids, shows how they
differ from what Front50 keeps in S3, and writes exactly the changes.`,
		Example: `  pipegen init                          # scaffold a services repo
  pipegen validate
  pipegen sync --dry-run
  pipegen diff --exit-code -o markdown
  pipegen sync`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetIn(f.IOStreams.In)
	cmd.AddGroup(
		&cobra.Group{ID: groupPipelines, Title: "Pipelines:"},
		&cobra.Group{ID: groupStart, Title: "Getting started:"},
		&cobra.Group{ID: groupOther, Title: "Other:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			cmd.AddCommand(c)
		}
	}
	add(groupPipelines, render.NewCmd(f), validate.NewCmd(f), diff.NewCmd(f), sync.NewCmd(f), serve.NewCmd(f))
	add(groupStart, initcmd.NewCmd(f), importcmd.NewCmd(f))
	add(groupOther, forceunlock.NewCmd(f), version.NewCmd(f))

	// cobra adds `completion` and `help` on Execute; adding them now lets us document them.
	cmd.SetCompletionCommandGroupID(groupOther)
	cmd.SetHelpCommandGroupID(groupOther)
	cmd.InitDefaultCompletionCmd()
	cmd.InitDefaultHelpCmd()
	for _, c := range cmd.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  pipegen help sync\n  pipegen sync --help"
		case "completion":
			c.Long += `
Completion covers commands, flags, and the values of --service and --stack (read from the
services repo), -o, and import's --service (the applications in the store).`
			c.Example = completionExamples["completion"]
			for _, sub := range c.Commands() {
				sub.Example = completionExamples[sub.Name()]
			}
		}
	}
	return cmd
}

var completionExamples = map[string]string{
	"completion": `  source <(pipegen completion bash)                       # bash, this shell only
  pipegen completion zsh > "${fpath[1]}/_pipegen"          # zsh, every new shell
  pipegen completion fish > ~/.config/fish/completions/pipegen.fish`,
	"bash": `  source <(pipegen completion bash)
  pipegen completion bash > /etc/bash_completion.d/pipegen`,
	"zsh": `  autoload -U compinit; compinit
  pipegen completion zsh > "${fpath[1]}/_pipegen"`,
	"fish": `  pipegen completion fish | source
  pipegen completion fish > ~/.config/fish/completions/pipegen.fish`,
	"powershell": `  pipegen completion powershell | Out-String | Invoke-Expression`,
}
