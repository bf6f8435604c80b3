package importer

import (
	"strings"
	"unicode"

	"github.com/pipegen/pipegen/pkg/services"
)

// affix is a pipeline name cut into a stack-like token and the rest: "deploy-prod" is base
// "deploy", separator "-", token "prod" at the end.
type affix struct {
	token, base, sep string
	prefix           bool
}

func isSep(r rune) bool { return strings.ContainsRune("-_. :/", r) }

func isTokenRune(r rune) bool {
	return r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// cut splits name at its last (or, with prefix, first) token.
func cut(name string, prefix bool) (affix, bool) {
	r := []rune(name)
	if prefix {
		i := 0
		for i < len(r) && isTokenRune(r[i]) {
			i++
		}
		j := i
		for j < len(r) && isSep(r[j]) {
			j++
		}
		if i == 0 || j == i || j == len(r) {
			return affix{}, false
		}
		return affix{token: string(r[:i]), sep: string(r[i:j]), base: string(r[j:]), prefix: true}, true
	}
	i := len(r)
	for i > 0 && isTokenRune(r[i-1]) {
		i--
	}
	j := i
	for j > 0 && isSep(r[j-1]) {
		j--
	}
	if i == len(r) || j == i || j == 0 {
		return affix{}, false
	}
	return affix{token: string(r[i:]), sep: string(r[j:i]), base: string(r[:j])}, true
}

// stackToken reports whether a token can name a stack: a plain word, not a number (a version
// or a counter is not an environment).
func stackToken(t string) bool {
	if len(t) > 24 || !services.ValidIdent(t) {
		return false
	}
	return strings.IndexFunc(t, unicode.IsLetter) >= 0
}

// Placement is where a pipeline goes in the service file.
type Placement struct {
	Stack string
	// Base is the name without the stack token ("" when the stack does not come from the
	// name); pipelines of several stacks with one base may share a template.
	Base string
	cut  affix
}

// PlaceByName puts each name in a stack. Names that follow a pattern (the same base with
// different stack tokens at the end, or at the start: deploy-dev, deploy-prod) go to the
// stack their token names; explicit, when given, lists the stack tokens instead of guessing
// them; every other name goes to fallback.
func PlaceByName(names []string, explicit []string, fallback string) map[string]Placement {
	best, bestScore, bestPrefix := map[string]bool(nil), 0, false
	for _, prefix := range []bool{false, true} {
		stacks := map[string]bool{}
		if len(explicit) > 0 {
			for _, s := range explicit {
				stacks[s] = true
			}
		} else {
			byBase := map[string]map[string]bool{}
			for _, n := range names {
				if a, ok := cut(n, prefix); ok && stackToken(a.token) {
					k := a.base + "\x00" + a.sep
					if byBase[k] == nil {
						byBase[k] = map[string]bool{}
					}
					byBase[k][a.token] = true
				}
			}
			for _, toks := range byBase {
				if len(toks) >= 2 {
					for t := range toks {
						stacks[t] = true
					}
				}
			}
		}
		// Two tokens that differ only in case would be one stack: use neither.
		lower := map[string]int{}
		for s := range stacks {
			lower[strings.ToLower(s)]++
		}
		for s := range stacks {
			if lower[strings.ToLower(s)] > 1 {
				delete(stacks, s)
			}
		}
		// Names that follow a pattern count; stacks that are environment words count more,
		// so "dev deploy", "prod deploy", "dev promote" is read as stacks dev and prod, not
		// deploy and promote.
		score := 0
		for _, n := range names {
			if a, ok := cut(n, prefix); ok && stacks[a.token] {
				score++
				if environments[strings.ToLower(a.token)] {
					score += 2
				}
			}
		}
		if score > bestScore {
			best, bestScore, bestPrefix = stacks, score, prefix
		}
	}
	out := map[string]Placement{}
	for _, n := range names {
		if a, ok := cut(n, bestPrefix); ok && best[a.token] {
			out[n] = Placement{Stack: a.token, Base: a.base, cut: a}
			continue
		}
		out[n] = Placement{Stack: fallback}
	}
	return out
}

// environments are the words teams name stacks with.
var environments = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`dev develop development int integration test testing qa uat stage stg staging
		preprod pre prd prod production live sandbox sbx demo perf load canary beta alpha
		local ci review green blue`) {
		environments[w] = true
	}
}
