package front50

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/pipegen/pipegen/internal/jackson"
)

// regressionDir keeps every object the differential test ever found pipegen and Jackson to
// disagree on; TestJacksonRegressions replays them.
const regressionDir = "testdata/jackson-regressions"

// fuzzObjects is how many generated objects the differential test compares.
const fuzzObjects = 100_000

// TestValidatorNeverAcceptsWhatJacksonRefuses generates pipeline objects with every typed field
// of Front50's Pipeline set to values of every JSON shape (and bodies with a BOM, trailing data,
// duplicate keys, invalid UTF-8) and checks the two claims pipegen makes about Front50's reading:
// ValidatePipelineObject accepts an object only if Jackson reads it, and DecodeStored (how
// pipegen reads the store) calls an object unreadable only if Jackson cannot read it.
func TestValidatorNeverAcceptsWhatJacksonRefuses(t *testing.T) {
	n := fuzzObjects
	if testing.Short() {
		n = 5_000
	}
	seed := uint64(1)
	if s := os.Getenv("PIPEGEN_FUZZ_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	g := &gen{r: rand.New(rand.NewPCG(seed, 2))}
	ids := make([]string, n)
	bodies := make([][]byte, n)
	for i := range bodies {
		ids[i], bodies[i] = g.object()
	}
	verdicts := jackson.ReadAll(t, "Pipeline", bodies)

	var accepted, refused, jacksonRefused, unreadable, failures int
	for i, body := range bodies {
		v := verdicts[i]
		if !v.OK {
			jacksonRefused++
		}
		err := ValidatePipelineObject(ids[i], body)
		if err == nil {
			accepted++
			if !v.OK {
				failures++
				keepRegression(t, ids[i], body, fmt.Sprintf("pipegen accepts, Jackson %s", v))
			}
		} else {
			refused++
		}
		if _, derr := DecodeStored(body); derr != nil {
			unreadable++
			if v.OK {
				failures++
				keepRegression(t, ids[i], body, fmt.Sprintf("pipegen reads it as broken (%v), Jackson accepts", derr))
			}
		}
	}
	t.Logf("%d objects (seed %d): pipegen accepted %d, refused %d; Jackson refused %d; unreadable to pipegen's reader %d",
		n, seed, accepted, refused, jacksonRefused, unreadable)
	// The comparison only means something if both sides of each claim occur often.
	for what, count := range map[string]int{"accepted": accepted, "refused": refused, "refused by Jackson": jacksonRefused, "unreadable": unreadable} {
		if count < n/50 {
			t.Errorf("only %d of %d generated objects were %s: the generator no longer covers that side", count, n, what)
		}
	}
	if failures > 0 {
		t.Errorf("%d disagreements, kept in %s", failures, regressionDir)
	}
}

// TestJacksonRegressions replays what the differential test once found: each kept object is
// now refused by the validator, or read by Jackson.
func TestJacksonRegressions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(regressionDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no regression cases in %s", regressionDir)
	}
	var bodies [][]byte
	var idsOf []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		id, body, _ := bytes.Cut(b, []byte("\n"))
		idsOf = append(idsOf, string(id))
		bodies = append(bodies, body)
	}
	verdicts := jackson.ReadAll(t, "Pipeline", bodies)
	for i, body := range bodies {
		if ValidatePipelineObject(idsOf[i], body) == nil && !verdicts[i].OK {
			t.Errorf("%s: pipegen accepts, Jackson %s", files[i], verdicts[i])
		}
		if _, err := DecodeStored(body); err != nil && verdicts[i].OK {
			t.Errorf("%s: pipegen cannot read it (%v), Jackson can", files[i], err)
		}
	}
}

// keepRegression writes a disagreement to regressionDir: the id on the first line, the body after.
func keepRegression(t *testing.T, id string, body []byte, why string) {
	t.Helper()
	sum := sha256.Sum256(body)
	name := filepath.Join(regressionDir, hex.EncodeToString(sum[:8])+".json")
	if err := os.MkdirAll(regressionDir, 0o755); err == nil {
		_ = os.WriteFile(name, append([]byte(id+"\n"), body...), 0o644)
	}
	if failuresShown.Add(1) <= 20 {
		t.Errorf("%s: %s\n%s", name, why, body)
	}
}

var failuresShown atomic.Int32

// gen makes pipeline objects: mostly valid ones with a few typed fields set to values of every
// JSON shape, including the ones Jackson coerces and the ones it refuses.
type gen struct{ r *rand.Rand }

var fuzzFields = func() []string {
	names := []string{"createTs", "config", "createdAt", "lastModified", "id", "name", "application", "extra", "pipegen"}
	for _, f := range typedFields {
		names = append(names, f.name)
	}
	return names
}()

func (g *gen) pick(n int) int { return g.r.IntN(n) }

func (g *gen) object() (id string, body []byte) {
	id = "p" + strconv.Itoa(g.pick(20))
	doc := map[string]any{"id": id, "name": "deploy", "application": "app"}
	for range g.pick(4) {
		doc[fuzzFields[g.pick(len(fuzzFields))]] = g.value(2)
	}
	// Mostly well-formed values for the typed fields, so that accepted objects carry them too.
	for range g.pick(3) {
		f := typedFields[g.pick(len(typedFields))]
		doc[f.name] = g.wellFormed(f.kind)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	switch g.pick(40) {
	case 0:
		body = append([]byte("\xef\xbb\xbf"), body...)
	case 1:
		body = append(body, []string{" x", "}", " {\"id\":1}", "\n\n", "]"}[g.pick(5)]...)
	case 2:
		dup := []string{`"index":"x",`, `"index":1,`, `"id":"` + id + `",`, `"maxConcurrentExecutions":"unlimited",`}[g.pick(4)]
		body = append([]byte("{"+dup), body[1:]...)
	case 3:
		body = bytes.Replace(body, []byte(`"deploy"`), []byte("\"dep\xffloy\""), 1)
	case 4:
		body = body[:g.pick(len(body))]
	case 5:
		body = []byte([]string{`[]`, `null`, `"x"`, `5`, ``, ` `}[g.pick(6)])
	}
	if s, ok := doc["id"].(string); ok && g.pick(10) > 0 {
		id = s
	}
	return id, body
}

func (g *gen) wellFormed(k fieldKind) any {
	switch k {
	case kindString:
		return []string{"", "x", "v4", "1712345678901"}[g.pick(4)]
	case kindInt:
		return json.Number([]string{"0", "1", "-1", "2147483647", "-2147483648"}[g.pick(5)])
	case kindBool:
		return g.pick(2) == 0
	case kindObject:
		return map[string]any{"k": g.value(1)}
	case kindObjectList:
		return []any{map[string]any{"type": "cron", "refId": "1"}, map[string]any{}}[:g.pick(3)]
	default:
		return []any{"a", "b"}[:g.pick(3)]
	}
}

// value is any JSON value, biased to the shapes on Jackson's edges.
func (g *gen) value(depth int) any {
	scalars := []any{
		nil, true, false,
		"", "x", "5", " 5", "5 ", "+5", "-0", "5.0", "1e3", "0x10", "true", "True", "false", "null", "yes", "unlimited", "2147483648", "é",
		json.Number("0"), json.Number("1"), json.Number("-1"), json.Number("2147483647"), json.Number("2147483648"),
		json.Number("-2147483648"), json.Number("-2147483649"), json.Number("1.5"), json.Number("1.0"), json.Number("1e3"),
		json.Number("1e10"), json.Number("-0"), json.Number("9223372036854775808"), json.Number("0.0"), json.Number("2"),
	}
	if depth == 0 || g.pick(3) > 0 {
		return scalars[g.pick(len(scalars))]
	}
	switch g.pick(2) {
	case 0:
		m := map[string]any{}
		for range g.pick(3) {
			m[[]string{"type", "pipeline", "refId", "a", ""}[g.pick(5)]] = g.value(depth - 1)
		}
		return m
	default:
		l := make([]any, g.pick(3))
		for i := range l {
			l[i] = g.value(depth - 1)
		}
		return l
	}
}
