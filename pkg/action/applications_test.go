package action

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pipegen/pipegen/pkg/front50"
	"github.com/pipegen/pipegen/pkg/plan"
	"github.com/pipegen/pipegen/pkg/services"
)

const appTemplate = `name: "deploy-{{ stack }}"
stages:
  - refId: "1"
    type: deployManifest
    cloudProvider: kubernetes
    account: k8s-{{ stack }}
`

const declaredService = `name: shop
stacks:
  prod: {pipelines: [deploy]}
application:
  email: shop-team@corp.example
  description: The shop
  cloudProviders: [kubernetes, aws]
  permissions:
    READ: [shop-team, devops]
    WRITE: [shop-team]
    EXECUTE: [shop-team]
  dataSources: {enabled: [serverGroups], disabled: []}
  trafficGuards:
    - {account: k8s-prod, location: shop, stack: prod, enabled: true}
`

func appRepo(t *testing.T, service string) *repo {
	return newRepo(t, map[string]string{
		"templates/deploy.yml": appTemplate,
		"services/shop.yaml":   service,
	})
}

// appObject reads one object of an application's folder raw and decodes it.
func appObject(t *testing.T, env storeEnv, app, file string) map[string]any {
	t.Helper()
	body := env.raw(t, env.prefix+"applications/"+app+"/"+file)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s/%s: %v", app, file, err)
	}
	return doc
}

func appItem(t *testing.T, p *plan.Plan, name string) plan.AppItem {
	t.Helper()
	for _, it := range p.Applications {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("no application %s in the plan: %+v", name, p.Applications)
	return plan.AppItem{}
}

func hasKey(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// A declared application is created in Front50's layout before its pipelines, exactly as
// Front50's models read it; a second sync writes nothing; a change updates it in place,
// keeping createTs and attributes set in the UI; removing an attribute from the file removes it.
func TestApplicationCreateUpdateIdempotent(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := appRepo(t, declaredService)
		s := newSyncer(t, r, env)

		res, rep := s.sync(DiffOptions{})
		it := appItem(t, res.Plan, "shop")
		if it.Action != plan.AppCreate || it.Minimal || res.Plan.AppCounts.Create != 1 {
			t.Fatalf("first plan: %+v %+v", it, res.Plan.AppCounts)
		}
		if pc := it.Permissions; pc == nil || !pc.FromUnrestricted || len(pc.Gains) != 4 || len(pc.Loses) != 0 {
			t.Errorf("permission change on create: %+v", pc)
		}
		if len(rep.AppDone) != 1 || rep.AppsLastModified == 0 {
			t.Fatalf("report: %+v", rep)
		}
		created := s.now.UnixMilli()
		meta := appObject(t, env, "shop", "application-metadata.json")
		want := map[string]any{
			"name": "SHOP", "email": "shop-team@corp.example", "description": "The shop",
			"cloudProviders": "kubernetes,aws", "lastModifiedBy": "pipegen",
			"createTs": itoa(created), "updateTs": itoa(created),
			"dataSources":   map[string]any{"enabled": []any{"serverGroups"}, "disabled": []any{}},
			"trafficGuards": []any{map[string]any{"account": "k8s-prod", "location": "shop", "stack": "prod", "enabled": true}},
			"pipegen": map[string]any{"service": "shop", "file": "services/shop.yaml", "permissions": true,
				"managed": []any{"cloudProviders", "dataSources", "description", "email", "trafficGuards"}},
		}
		if !reflect.DeepEqual(meta, want) {
			t.Errorf("application-metadata.json\n got %v\nwant %v", meta, want)
		}
		perm := appObject(t, env, "shop", "application-permission.json")
		wantPerm := map[string]any{"name": "shop", "lastModified": json.Number(itoa(created)), "lastModifiedBy": "pipegen",
			"permissions": map[string]any{"READ": []any{"devops", "shop-team"}, "WRITE": []any{"shop-team"}, "EXECUTE": []any{"shop-team"}}}
		if !reflect.DeepEqual(perm, wantPerm) {
			t.Errorf("application-permission.json\n got %v\nwant %v", perm, wantPerm)
		}
		// Stamped with the store's clock (S3's Date, or this machine's for a folder), never
		// below what the objects were stamped with.
		lm := string(env.raw(t, env.prefix+"applications/last-modified.json"))
		if lm != `{"lastModified":`+itoa(rep.AppsLastModified)+`}` || rep.AppsLastModified < created {
			t.Errorf("applications/last-modified.json = %s, reported %d, objects stamped %d", lm, rep.AppsLastModified, created)
		}
		checkIntegrity(t, storeSnapshot(t, env), env.prefix, false)

		// Idempotent: nothing to do, nothing written, last-modified.json untouched.
		res, rep = s.sync(DiffOptions{})
		if res.Plan.HasChanges() || len(rep.AppDone)+len(rep.Done) != 0 || rep.AppsLastModified != 0 {
			t.Fatalf("second sync: %+v %+v", res.Plan.AppCounts, rep)
		}
		if got := string(env.raw(t, env.prefix+"applications/last-modified.json")); got != lm {
			t.Errorf("second sync moved applications/last-modified.json: %s", got)
		}

		// Someone sets an attribute in the UI: pipegen leaves it alone.
		as, err := front50.AppStoreOf(s.store)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := as.GetApp(context.Background(), front50.AppMetadata, "shop")
		if err != nil {
			t.Fatal(err)
		}
		meta["instancePort"] = json.Number("8080")
		putApp(t, as, front50.AppMetadata, "shop", meta, obj.ETag)
		if res := s.diff(DiffOptions{}); res.Plan.HasChanges() {
			t.Fatalf("an attribute set in the UI is a change: %+v", appItem(t, res.Plan, "shop"))
		}

		// Update: new description, dataSources dropped from the file, permissions changed.
		r.write("services/shop.yaml", strings.NewReplacer(
			"The shop", "The new shop",
			"  dataSources: {enabled: [serverGroups], disabled: []}\n", "",
			"WRITE: [shop-team]", "WRITE: [shop-team, release]",
			"READ: [shop-team, devops]", "READ: [shop-team, release]",
		).Replace(declaredService))
		res, _ = s.sync(DiffOptions{})
		it = appItem(t, res.Plan, "shop")
		if it.Action != plan.AppUpdate {
			t.Fatalf("update plan: %+v", it)
		}
		paths := map[string]string{}
		for _, c := range it.Changes {
			paths[c.Path] = string(c.Kind)
		}
		if !reflect.DeepEqual(paths, map[string]string{"description": "change", "dataSources": "remove"}) {
			t.Errorf("changes %v", paths)
		}
		pc := it.Permissions
		if pc == nil || !reflect.DeepEqual(pc.Gains, []plan.Grant{{Group: "release", Access: "READ"}, {Group: "release", Access: "WRITE"}}) ||
			!reflect.DeepEqual(pc.Loses, []plan.Grant{{Group: "devops", Access: "READ"}}) {
			t.Errorf("permission change %+v", pc)
		}
		meta = appObject(t, env, "shop", "application-metadata.json")
		if meta["description"] != "The new shop" || meta["createTs"] != itoa(created) || meta["updateTs"] != itoa(s.now.UnixMilli()) {
			t.Errorf("after update: %v", meta)
		}
		if _, ok := meta["dataSources"]; ok {
			t.Error("dataSources removed from the file but kept in the store")
		}
		if meta["instancePort"] != json.Number("8080") {
			t.Errorf("the UI's instancePort was not kept: %v", meta["instancePort"])
		}
		checkIntegrity(t, storeSnapshot(t, env), env.prefix, false)
		if res := s.diff(DiffOptions{}); res.Plan.HasChanges() {
			t.Fatalf("not converged after the update: %+v", res.Plan.AppCounts)
		}
	})
}

// A service without a block gets a minimal application when none exists: the documented
// default email, the cloud providers its pipelines use, no permission object; an existing
// application (made in the UI) is not touched.
func TestApplicationMinimal(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := newRepo(t, map[string]string{
			"templates/deploy.yml": appTemplate,
			"services/shop.yaml":   "name: shop\nstacks:\n  prod: {pipelines: [deploy]}\n",
			"services/cart.yaml":   "name: cart\nstacks:\n  prod: {pipelines: [deploy]}\n",
		})
		s := newSyncer(t, r, env)
		as, err := front50.AppStoreOf(s.store)
		if err != nil {
			t.Fatal(err)
		}
		ui := map[string]any{"name": "CART", "email": "someone@corp.example", "cloudProviders": "aws", "updateTs": "1", "createTs": "1", "lastModifiedBy": "someone"}
		putApp(t, as, front50.AppMetadata, "cart", ui, "")
		before := string(env.raw(t, env.prefix+"applications/cart/application-metadata.json"))

		res, _ := s.sync(DiffOptions{})
		if it := appItem(t, res.Plan, "shop"); it.Action != plan.AppCreate || !it.Minimal {
			t.Errorf("shop: %+v", it)
		}
		if it := appItem(t, res.Plan, "cart"); it.Action != plan.AppUnchanged {
			t.Errorf("cart: %+v", it)
		}
		meta := appObject(t, env, "shop", "application-metadata.json")
		if meta["email"] != DefaultAppEmail || meta["cloudProviders"] != "kubernetes" || meta["name"] != "SHOP" {
			t.Errorf("minimal application: %v", meta)
		}
		if hasKey(env.keys(t), env.prefix+"applications/shop/application-permission.json") {
			t.Error("a minimal application got a permission object")
		}
		if after := string(env.raw(t, env.prefix+"applications/cart/application-metadata.json")); after != before {
			t.Errorf("the UI's application was touched:\n%s", after)
		}
		checkIntegrity(t, storeSnapshot(t, env), env.prefix, false)
		if res := s.diff(DiffOptions{}); res.Plan.HasChanges() {
			t.Fatalf("not converged: %+v", res.Plan.AppCounts)
		}
	})
}

// An application made in the UI and declared by a service is a conflict: diff shows it with
// its changes, sync refuses and writes nothing; --adopt takes it over keeping what the service
// does not declare. A removed service's application is listed as kept, never deleted.
func TestApplicationAdoptAndKept(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		r := appRepo(t, declaredService)
		s := newSyncer(t, r, env)
		as, err := front50.AppStoreOf(s.store)
		if err != nil {
			t.Fatal(err)
		}
		ui := map[string]any{"name": "SHOP", "email": "old@corp.example", "cloudProviders": "kubernetes", "user": "someone",
			"createTs": "1600000000000", "updateTs": "1600000000001", "lastModifiedBy": "someone"}
		putApp(t, as, front50.AppMetadata, "shop", ui, "")
		putApp(t, as, front50.AppPermission, "shop", map[string]any{"name": "shop", "lastModified": json.Number("1600000000001"),
			"lastModifiedBy": "someone", "permissions": map[string]any{"READ": []any{"everyone"}, "WRITE": []any{"admins"}}}, "")
		before := storeSnapshot(t, env)

		res := s.diff(DiffOptions{})
		it := appItem(t, res.Plan, "shop")
		if it.Action != plan.AppConflict || res.Plan.AppCounts.Conflict != 1 || !res.Plan.HasChanges() || len(it.Changes) == 0 || it.Permissions == nil {
			t.Fatalf("UI-made application: %+v", it)
		}
		// Who loses and who gains access, plainly (pkg/output prints these words in every format).
		if pc := it.Permissions; !reflect.DeepEqual(pc.Loses, []plan.Grant{{Group: "everyone", Access: "READ"}, {Group: "admins", Access: "WRITE"}}) ||
			len(pc.Gains) != 4 || pc.FromUnrestricted {
			t.Errorf("permission change of the UI's application: %+v", pc)
		}
		// sync writes the rest (the pipelines), leaves the application as it is and says so.
		rep, err := Apply(context.Background(), s.store, res.Plan, SyncOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.AppConflicts) != 1 || len(rep.AppDone) != 0 || rep.Err() == nil || !strings.Contains(rep.Err().Error(), "application conflict") {
			t.Fatalf("sync with an application conflict: %+v, %v", rep, rep.Err())
		}
		after := storeSnapshot(t, env)
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s changed by a sync that had to leave it", k)
			}
		}

		res, _ = s.sync(DiffOptions{Adopt: true})
		if it := appItem(t, res.Plan, "shop"); it.Action != plan.AppAdopt {
			t.Fatalf("with --adopt: %+v", it)
		}
		meta := appObject(t, env, "shop", "application-metadata.json")
		if meta["user"] != "someone" || meta["createTs"] != "1600000000000" || meta["email"] != "shop-team@corp.example" {
			t.Errorf("adopted: %v", meta)
		}
		if m, ok := plan.AppMarkerOf(meta); !ok || m.Service != "shop" {
			t.Errorf("adopted application has no marker: %v", meta)
		}
		perm := appObject(t, env, "shop", "application-permission.json")
		if !reflect.DeepEqual(perm["permissions"], map[string]any{"READ": []any{"devops", "shop-team"}, "WRITE": []any{"shop-team"}, "EXECUTE": []any{"shop-team"}}) {
			t.Errorf("adopted permissions: %v", perm)
		}
		if res := s.diff(DiffOptions{}); res.Plan.HasChanges() {
			t.Fatalf("not converged after adopting: %+v", res.Plan.AppCounts)
		}

		// The service goes: its application stays, listed as kept, and is no change.
		r.write("services/shop.yaml", "name: other\nstacks:\n  prod: {pipelines: [deploy]}\n")
		snap := storeSnapshot(t, env)
		res = s.diff(DiffOptions{Prune: true})
		if it := appItem(t, res.Plan, "shop"); it.Action != plan.AppKept || res.Plan.AppCounts.Kept != 1 {
			t.Fatalf("removed service's application: %+v", it)
		}
		s.sync(DiffOptions{Prune: true})
		after = storeSnapshot(t, env)
		for _, f := range []string{"application-metadata.json", "application-permission.json"} {
			k := env.prefix + "applications/shop/" + f
			if after[k] != snap[k] {
				t.Errorf("%s changed or deleted by a pruning sync", k)
			}
		}
	})
}

// Bad input in the application block: a clear error naming the file, line and column, and
// nothing written.
func TestApplicationBadInput(t *testing.T) {
	for _, tc := range []struct{ name, block, want string }{
		{"email type", "application:\n  email: [a]\n", "services/shop.yaml:5:10: application.email must be a string"},
		{"permission kind", "application:\n  permissions: {READ: [a], DELETE: [b]}\n", `services/shop.yaml:5:28: unknown permission "DELETE"`},
		{"group case", "application:\n  permissions: {READ: [Shop-Team]}\n", `services/shop.yaml:5:24: group "Shop-Team": Fiat compares groups trimmed and lower-case; write "shop-team"`},
		{"cloudProviders type", "application:\n  cloudProviders: kubernetes\n", "services/shop.yaml:5:19: application.cloudProviders must be a list"},
		{"traffic guard", "application:\n  trafficGuards: [{account: a, region: x}]\n", `services/shop.yaml:5:19: unknown traffic guard field "region"`},
		{"reserved", "application:\n  updateTs: \"1\"\n", "services/shop.yaml:5:3: application.updateTs cannot be set here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, env storeEnv) {
				r := appRepo(t, "name: shop\nstacks:\n  prod: {pipelines: [deploy]}\n"+tc.block)
				s := newSyncer(t, r, env)
				res, err := Diff(context.Background(), s.cfg(), s.store, DiffOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(problemsText(res.Build), tc.want) || res.Plan != nil {
					t.Fatalf("problems:\n%s\nwant %q", problemsText(res.Build), tc.want)
				}
				if keys := env.keys(t); len(keys) != 0 {
					t.Fatalf("wrote %v", keys)
				}
			})
		})
	}
}

func putApp(t *testing.T, as front50.AppStore, kind front50.AppKind, name string, doc map[string]any, ifMatch string) {
	t.Helper()
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	opt := front50.PutOptions{IfMatch: ifMatch, IfNoneMatch: ifMatch == ""}
	if _, err := as.PutApp(context.Background(), kind, name, body, opt); err != nil {
		t.Fatal(err)
	}
}

func storeSnapshot(t *testing.T, env storeEnv) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range env.keys(t) {
		out[k] = string(env.raw(t, k))
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// import writes the stored application's attributes and permissions into the new service
// file's `application:` block; the diff then has nothing to change in it, only the take-over
// (--adopt) to do, and after it the application is pipegen's and unchanged.
func TestImportApplication(t *testing.T) {
	u := newUIStore(t)
	u.put("3f1c2b9e-8f7a-4c1e-9a51-2b7d0c6e4a10", map[string]any{"id": "3f1c2b9e-8f7a-4c1e-9a51-2b7d0c6e4a10", "application": "shop", "name": "deploy",
		"stages": []any{map[string]any{"refId": "1", "type": "wait", "waitTime": 30}}})
	as, err := front50.AppStoreOf(u.store)
	if err != nil {
		t.Fatal(err)
	}
	putApp(t, as, front50.AppMetadata, "shop", map[string]any{"name": "SHOP", "email": "shop@corp.example", "cloudProviders": "kubernetes,aws",
		"instancePort": json.Number("8080"), "createTs": "1", "updateTs": "2", "lastModifiedBy": "someone"}, "")
	putApp(t, as, front50.AppPermission, "shop", map[string]any{"name": "shop", "lastModified": json.Number("2"), "lastModifiedBy": "someone",
		"permissions": map[string]any{"READ": []any{"Devops", "shop"}, "WRITE": []any{"shop"}}}, "")
	r := newRepo(t, nil)
	cfg := r.config(nil)
	importFiles(t, cfg, u.store, u.files, ImportOptions{Application: "shop"})
	text, err := os.ReadFile(filepath.Join(r.root, "services", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	svc, errs := services.Parse("services/shop.yaml", text)
	if len(errs) > 0 {
		t.Fatalf("%v\n%s", errs, text)
	}
	a := svc.Application
	if a == nil || *a.Email != "shop@corp.example" || !reflect.DeepEqual(a.CloudProviders, []string{"kubernetes", "aws"}) ||
		a.Attributes["instancePort"] != json.Number("8080") || len(a.Attributes) != 1 ||
		!reflect.DeepEqual(a.Permissions, map[string][]string{"READ": {"devops", "shop"}, "WRITE": {"shop"}}) {
		t.Fatalf("imported block %+v\n%s", a, text)
	}
	res, err := Diff(context.Background(), cfg, u.store, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	it := appItem(t, res.Plan, "shop")
	if it.Action != plan.AppConflict || len(it.Changes) != 0 || it.Permissions != nil {
		t.Fatalf("after import: %+v", it)
	}
}

// A diff reads only the application objects the listing shows, and through the cache (S3)
// none that are unchanged since the last run; an application changed behind pipegen's back
// (same size, within the same second) is read again and shown as changed.
func TestApplicationReadsCounted(t *testing.T) {
	forEachStore(t, func(t *testing.T, env storeEnv) {
		cached := env.prefix != "" // the file store is read from disk, never cached
		r := newRepo(t, map[string]string{
			"templates/deploy.yml": appTemplate,
			"services/shop.yaml":   declaredService,
			"services/cart.yaml":   "name: cart\nstacks:\n  prod: {pipelines: [deploy]}\n",
		})
		s := newSyncer(t, r, env)
		counted, stats := front50.Counted(s.store)
		s.store = counted
		diff := func(opt DiffOptions) (*Result, int64) {
			t.Helper()
			list, gets := stats.AppList, stats.AppGet
			res := s.diff(opt)
			if n := stats.AppList - list; n != 1 {
				t.Fatalf("%d application listings, want 1", n)
			}
			return res, stats.AppGet - gets
		}

		res, gets := diff(DiffOptions{})
		if gets != 0 {
			t.Errorf("diff of an empty store read %d application objects; the listing shows none", gets)
		}
		s.now = s.now.Add(time.Second)
		rep, err := Apply(context.Background(), s.store, res.Plan, SyncOptions{DiffOptions: DiffOptions{CacheDir: res.CacheDir}, Now: func() time.Time { return s.now }})
		if err != nil || rep.Err() != nil {
			t.Fatalf("sync: %v %v", err, rep.Err())
		}

		// Stored now: shop's application and permissions, cart's application (a minimal one
		// has no permission object, and nothing reads it).
		const stored = 3
		want := int64(stored)
		if cached {
			want = 0 // what sync wrote is cached
		}
		for range 2 {
			res, gets = diff(DiffOptions{})
			if res.Plan.HasChanges() {
				t.Fatalf("after sync: %+v", res.Plan.AppCounts)
			}
			if gets != want {
				t.Errorf("no-change diff read %d application objects, want %d", gets, want)
			}
		}
		if _, gets = diff(DiffOptions{NoCache: true}); gets != stored {
			t.Errorf("diff without cache read %d application objects, want the %d stored", gets, stored)
		}

		// Someone edits the application in the UI: same size, and most likely within the second
		// of the sync (the same second is proven harmless in internal/cache).
		key := env.prefix + "applications/shop/application-metadata.json"
		body := env.raw(t, key)
		edited := bytes.Replace(body, []byte("shop-team@corp.example"), []byte("shop-crew@corp.example"), 1)
		if bytes.Equal(edited, body) {
			t.Fatalf("test setup: no email in %s", body)
		}
		env.put(t, key, edited)
		res, gets = diff(DiffOptions{})
		if want := map[bool]int64{true: 1, false: stored}[cached]; gets != want {
			t.Errorf("after the edit: read %d application objects, want %d", gets, want)
		}
		it := appItem(t, res.Plan, "shop")
		if it.Action != plan.AppUpdate || len(it.Changes) != 1 || it.Changes[0].Path != "email" {
			t.Fatalf("the edited application: %+v", it)
		}
	})
}
