package front50

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFileStoreSuite(t *testing.T) {
	runStoreSuite(t, func(t *testing.T) Store { return newFileStore(t) })
}

func TestS3StoreSuite(t *testing.T) {
	testS3.Server(t) // skip or fail once, before the subtests
	runStoreSuite(t, func(t *testing.T) Store {
		st, _ := newS3Store(t)
		return st
	})
}

// runStoreSuite is the contract every Store implementation must meet.
func runStoreSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"PutGetListExactKeys", func(t *testing.T, s Store) {
			ids := []string{"c-3", "a-1", "b-2"}
			etags := map[string]string{}
			for _, id := range ids {
				etag, err := s.Put(ctx, id, pipelineBody(id, "app", "pipe "+id), PutOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if etag == "" {
					t.Fatalf("Put(%s) returned no ETag", id)
				}
				etags[id] = etag
			}
			infos, err := s.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range infos {
				got = append(got, in.ID)
				if in.ETag != etags[in.ID] {
					t.Errorf("List ETag of %s = %s, Put returned %s", in.ID, in.ETag, etags[in.ID])
				}
				if in.Size != int64(len(pipelineBody(in.ID, "app", "pipe "+in.ID))) {
					t.Errorf("List Size of %s = %d", in.ID, in.Size)
				}
				if time.Since(in.LastModified) > time.Hour || in.LastModified.IsZero() {
					t.Errorf("List LastModified of %s = %v", in.ID, in.LastModified)
				}
			}
			if want := []string{"a-1", "b-2", "c-3"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("List IDs = %v, want %v", got, want)
			}
			obj, err := s.Get(ctx, "b-2")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(obj.Body, pipelineBody("b-2", "app", "pipe b-2")) || obj.ID != "b-2" || obj.ETag != etags["b-2"] {
				t.Fatalf("Get = %+v", obj.Info)
			}
			// Front50 lower-cases the key, and so does Get.
			if obj, err := s.Get(ctx, "B-2"); err != nil || obj.ID != "b-2" {
				t.Fatalf("Get(B-2) = %v, %v", obj, err)
			}
			var wantKeys []string
			for _, id := range []string{"a-1", "b-2", "c-3"} {
				wantKeys = append(wantKeys, rawPrefix(s)+"pipelines/"+id+"/pipeline-metadata.json")
			}
			raw := rawObjects(t, s)
			if got := sortedKeys(raw); !reflect.DeepEqual(got, wantKeys) {
				t.Fatalf("stored keys = %q, want %q", got, wantKeys)
			}
			if !bytes.Equal(raw[wantKeys[0]], pipelineBody("a-1", "app", "pipe a-1")) {
				t.Fatalf("stored body = %s", raw[wantKeys[0]])
			}
		}},
		{"GetMissing", func(t *testing.T, s Store) {
			if _, err := s.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get missing: %v, want ErrNotFound", err)
			}
			infos, err := s.List(ctx)
			if err != nil || len(infos) != 0 {
				t.Fatalf("List of empty store = %v, %v", infos, err)
			}
		}},
		{"LastModifiedFile", func(t *testing.T, s Store) {
			if v, err := s.LastModified(ctx); err != nil || v != 0 {
				t.Fatalf("LastModified of empty store = %d, %v; want 0", v, err)
			}
			const ms = int64(1712345678901)
			if err := s.SetLastModified(ctx, ms); err != nil {
				t.Fatal(err)
			}
			key := rawPrefix(s) + "pipelines/last-modified.json"
			raw := rawObjects(t, s)
			if string(raw[key]) != `{"lastModified":1712345678901}` {
				t.Fatalf("%s = %q (all: %q)", key, raw[key], sortedKeys(raw))
			}
			dec := json.NewDecoder(bytes.NewReader(raw[key]))
			dec.UseNumber()
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			if n, ok := m["lastModified"].(json.Number); !ok || strings.ContainsAny(n.String(), ".eE") {
				t.Fatalf("lastModified is %#v, want a JSON integer", m["lastModified"])
			}
			if v, err := s.LastModified(ctx); err != nil || v != ms {
				t.Fatalf("LastModified = %d, %v; want %d", v, err, ms)
			}
			// Front50 reads a string as 0, and so must we.
			rawPut(t, s, key, []byte(`{"lastModified":"1712345678901"}`))
			if v, err := s.LastModified(ctx); err != nil || v != 0 {
				t.Fatalf("LastModified of a string = %d, %v; want 0", v, err)
			}
		}},
		{"ListPagingAndForeignKeys", func(t *testing.T, s Store) {
			var want []string
			for i := range 5 {
				id := fmt.Sprintf("p%d", i)
				want = append(want, id)
				if _, err := s.Put(ctx, id, pipelineBody(id, "app", id), PutOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			p := rawPrefix(s)
			// Keys that are not pipeline objects, interleaved with real ones, and one nested
			// pipeline key, which Front50 serves as a live pipeline (p2/x).
			want = append(want[:3:3], append([]string{"p2/x"}, want[3:]...)...)
			for _, k := range []string{
				"pipelines/p1/other.json",
				"pipelines/p2/x/pipeline-metadata.json",
				"pipelines/pipeline-metadata.json",
				"pipelines-other/zz/pipeline-metadata.json",
				"pipeline-strategies/p9/pipeline-strategy-metadata.json",
			} {
				rawPut(t, s, p+k, []byte(`{}`))
			}
			if err := s.SetLastModified(ctx, 1712345678901); err != nil {
				t.Fatal(err)
			}
			infos, err := s.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range infos {
				got = append(got, in.ID)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("List = %v, want %v", got, want)
			}
		}},
		{"CreateConflict", func(t *testing.T, s Store) {
			first := pipelineBody("x", "app", "first")
			if _, err := s.Put(ctx, "x", first, PutOptions{IfNoneMatch: true}); err != nil {
				t.Fatal(err)
			}
			_, err := s.Put(ctx, "x", pipelineBody("x", "app", "second"), PutOptions{IfNoneMatch: true})
			if !errors.Is(err, ErrPrecondition) {
				t.Fatalf("second create: %v, want ErrPrecondition", err)
			}
			if obj, err := s.Get(ctx, "x"); err != nil || !bytes.Equal(obj.Body, first) {
				t.Fatalf("after conflict: %v, %s", err, obj.Body)
			}
		}},
		{"UpdateConflict", func(t *testing.T, s Store) {
			e1, err := s.Put(ctx, "x", pipelineBody("x", "app", "v1"), PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			e2, err := s.Put(ctx, "x", pipelineBody("x", "app", "v2"), PutOptions{IfMatch: e1})
			if err != nil {
				t.Fatal(err)
			}
			if e2 == e1 {
				t.Fatalf("ETag did not change: %s", e2)
			}
			if _, err := s.Put(ctx, "x", pipelineBody("x", "app", "v3"), PutOptions{IfMatch: e1}); !errors.Is(err, ErrPrecondition) {
				t.Fatalf("stale update: %v, want ErrPrecondition", err)
			}
			if obj, err := s.Get(ctx, "x"); err != nil || !bytes.Equal(obj.Body, pipelineBody("x", "app", "v2")) || obj.ETag != e2 {
				t.Fatalf("after conflict: %v, %+v", err, obj)
			}
			// Updating something deleted meanwhile is a conflict too.
			if _, err := s.Put(ctx, "gone", pipelineBody("gone", "app", "v"), PutOptions{IfMatch: e2}); !errors.Is(err, ErrPrecondition) {
				t.Fatalf("update of missing object: %v, want ErrPrecondition", err)
			}
			if _, err := s.Put(ctx, "x", pipelineBody("x", "app", "v"), PutOptions{IfMatch: e2, IfNoneMatch: true}); err == nil {
				t.Fatal("IfMatch with IfNoneMatch accepted")
			}
		}},
		{"Delete", func(t *testing.T, s Store) {
			etag, err := s.Put(ctx, "d", pipelineBody("d", "app", "d"), PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "d", `"0123456789abcdef0123456789abcdef"`); !errors.Is(err, ErrPrecondition) {
				t.Fatalf("delete with a stale ETag: %v, want ErrPrecondition", err)
			}
			if _, err := s.Get(ctx, "d"); err != nil {
				t.Fatalf("object gone after refused delete: %v", err)
			}
			if err := s.Delete(ctx, "d", etag); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "d"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after delete: %v", err)
			}
			if raw := rawObjects(t, s); len(raw) != 0 {
				t.Fatalf("left after delete: %q", sortedKeys(raw))
			}
			if err := s.Delete(ctx, "d", etag); !errors.Is(err, ErrNotFound) {
				t.Fatalf("conditional delete of missing object: %v, want ErrNotFound", err)
			}
			if err := s.Delete(ctx, "d", ""); err != nil {
				t.Fatalf("unconditional delete of missing object: %v", err)
			}
			if _, err := s.Put(ctx, "e", pipelineBody("e", "app", "e"), PutOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "e", ""); err != nil {
				t.Fatal(err)
			}
			if infos, err := s.List(ctx); err != nil || len(infos) != 0 {
				t.Fatalf("List after deletes = %v, %v", infos, err)
			}
		}},
		{"ValidationRefusesAndWritesNothing", func(t *testing.T, s Store) {
			bad := []struct {
				id   string
				body string
			}{
				{"x", `not json`},
				{"x", `[1,2]`},
				{"x", `{"id":"y","application":"a","name":"n"}`},
				{"X", `{"id":"X","application":"a","name":"n"}`},
				{"x", `{"id":"x","application":" ","name":"n"}`},
				{"x", `{"id":"x","application":"a"}`},
				{"x", `{"id":"x","application":"a","name":"n","lastModified":1}`},
				{"a/b", `{"id":"a/b","application":"a","name":"n"}`},
				{"..", `{"id":"..","application":"a","name":"n"}`},
				{"", `{"id":"","application":"a","name":"n"}`},
				{"x", `{"id":null,"application":"a","name":"n"}`},
			}
			for _, b := range bad {
				if _, err := s.Put(ctx, b.id, []byte(b.body), PutOptions{}); !errors.Is(err, ErrInvalidObject) {
					t.Errorf("Put(%q, %s) = %v, want ErrInvalidObject", b.id, b.body, err)
				}
			}
			if raw := rawObjects(t, s); len(raw) != 0 {
				t.Fatalf("refused writes left %q", sortedKeys(raw))
			}
		}},
		{"LoadReportsBroken", func(t *testing.T, s Store) {
			for _, p := range []struct{ id, app, name string }{
				{"p1", "App", "Deploy"}, {"p2", "app", "other"}, {"p3", "app2", "deploy"},
			} {
				if _, err := s.Put(ctx, p.id, pipelineBody(p.id, p.app, p.name), PutOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			rawPut(t, s, rawPrefix(s)+"pipelines/broken/pipeline-metadata.json", []byte("{not json"))
			rawPut(t, s, rawPrefix(s)+"pipelines/arr/pipeline-metadata.json", []byte("[1]"))
			st, err := Load(ctx, s, 2)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range st.Pipelines {
				ids = append(ids, p.ID)
				if st.ByID[p.ID] != p {
					t.Errorf("ByID[%s] is not the listed pipeline", p.ID)
				}
			}
			if want := []string{"p1", "p2", "p3"}; !reflect.DeepEqual(ids, want) {
				t.Fatalf("Pipelines = %v, want %v", ids, want)
			}
			var broken []string
			for _, b := range st.Broken {
				broken = append(broken, b.ID)
				if b.Err == nil {
					t.Errorf("Broken %s has no error", b.ID)
				}
			}
			if want := []string{"arr", "broken"}; !reflect.DeepEqual(broken, want) {
				t.Fatalf("Broken = %v, want %v", broken, want)
			}
			got := st.ByName("app", "  DEPLOY ")
			if len(got) != 1 || got[0].ID != "p1" {
				t.Fatalf("ByName(app, DEPLOY) = %v", got)
			}
			if !bytes.Equal(st.ByID["p2"].Raw, pipelineBody("p2", "app", "other")) {
				t.Fatal("Raw differs from the stored body")
			}
			if _, ok := st.ByID["p1"].Doc["stages"].([]any)[0].(map[string]any)["waitTime"].(json.Number); !ok {
				t.Fatal("Doc numbers are not json.Number")
			}
		}},
		{"BumpLastModifiedMonotonic", func(t *testing.T, s Store) {
			// The machine's clock an hour ahead does not move the value ahead: the store's
			// clock counts (Front50 replicas compare with it).
			ahead := time.Now().Add(time.Hour)
			v, err := BumpLastModified(ctx, s, ahead)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(time.UnixMilli(v)); d > time.Minute || d < -time.Minute {
				t.Fatalf("first bump = %s, want the store's time (about now), not the machine's %s", time.UnixMilli(v), ahead)
			}
			// A stored value ahead of the store's clock still moves forward.
			future := ahead.UnixMilli()
			if err := s.SetLastModified(ctx, future); err != nil {
				t.Fatal(err)
			}
			for i := int64(1); i <= 2; i++ {
				v, err := BumpLastModified(ctx, s, ahead)
				if err != nil || v != future+i {
					t.Fatalf("bump %d = %d, %v; want %d", i, v, err, future+i)
				}
				if got, _ := s.LastModified(ctx); got != v {
					t.Fatalf("stored %d, bump returned %d", got, v)
				}
			}
		}},
		{"ListApplications", func(t *testing.T, s Store) {
			as, err := AppStoreOf(s)
			if err != nil {
				t.Fatal(err)
			}
			if apps, err := as.ListApplications(ctx); err != nil || len(apps) != 0 {
				t.Fatalf("ListApplications of an empty store = %v, %v", apps, err)
			}
			put := func(kind AppKind, name, body string) string {
				t.Helper()
				etag, err := as.PutApp(ctx, kind, name, []byte(body), PutOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return etag
			}
			shop := put(AppMetadata, "shop", `{"name":"SHOP","email":"a@b.c"}`)
			shopPerm := put(AppPermission, "shop", `{"name":"shop","permissions":{"READ":["x"]}}`)
			cart := put(AppMetadata, "cart", `{"name":"CART"}`)
			webPerm := put(AppPermission, "web", `{"name":"web","permissions":{}}`) // no application object
			if _, err := BumpAppsLastModified(ctx, as, time.Now()); err != nil {
				t.Fatal(err)
			}
			// Neither an application's object nor in an application's folder: not listed.
			rawPut(t, s, rawPrefix(s)+"applications/shop/other.json", []byte(`{}`))
			rawPut(t, s, rawPrefix(s)+"applications/backup/old/application-metadata.json", []byte(`{"name":"OLD"}`))
			apps, err := as.ListApplications(ctx)
			if err != nil {
				t.Fatal(err)
			}
			type row struct {
				id         string
				meta, perm string // ETag, "-" when absent
			}
			want := []row{{"cart", cart, "-"}, {"shop", shop, shopPerm}, {"web", "-", webPerm}}
			var got []row
			for _, a := range apps {
				r := row{id: a.ID, meta: "-", perm: "-"}
				for _, kind := range []AppKind{AppMetadata, AppPermission} {
					in := a.Of(kind)
					if in == nil {
						continue
					}
					obj, err := as.GetApp(ctx, kind, a.ID)
					if err != nil {
						t.Fatal(err)
					}
					if in.ID != a.ID || in.Size != obj.Size || in.ETag != "" && !SameETag(in.ETag, obj.ETag) {
						t.Errorf("%s %s listed as %+v, read as %+v", a.ID, kind, *in, obj.Info)
					}
					if _, file := s.(*fileStore); file != (in.ETag == "") {
						t.Errorf("%s %s: listed ETag %q (the file store's listing has none, S3's always one)", a.ID, kind, in.ETag)
					}
					etag := obj.ETag
					if kind == AppMetadata {
						r.meta = etag
					} else {
						r.perm = etag
					}
				}
				got = append(got, r)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ListApplications = %v, want %v", got, want)
			}
		}},
		{"BumpAppsLastModifiedStoreClock", func(t *testing.T, s Store) {
			// applications/last-modified.json follows the same rule as the pipelines' file.
			as, err := AppStoreOf(s)
			if err != nil {
				t.Fatal(err)
			}
			ahead := time.Now().Add(time.Hour)
			v, err := BumpAppsLastModified(ctx, as, ahead)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(time.UnixMilli(v)); d > time.Minute || d < -time.Minute {
				t.Fatalf("first bump = %s, want the store's time (about now), not the machine's %s", time.UnixMilli(v), ahead)
			}
			cur, etag, _, err := as.ReadAppsLastModified(ctx)
			if err != nil || cur != v || etag == "" {
				t.Fatalf("ReadAppsLastModified = %d, %q, %v; want %d with an ETag", cur, etag, err, v)
			}
			if err := as.WriteAppsLastModified(ctx, v+10, "\"stale\""); !errors.Is(err, ErrPrecondition) {
				t.Fatalf("write with a stale ETag: %v, want ErrPrecondition", err)
			}
			if v2, err := BumpAppsLastModified(ctx, as, ahead); err != nil || v2 <= v {
				t.Fatalf("second bump = %d, %v; want more than %d", v2, err, v)
			}
			if lm, _, _, _ := s.ReadLastModified(ctx); lm != 0 {
				t.Fatalf("the pipelines' last-modified.json = %d, want untouched", lm)
			}
		}},
		{"LastModifiedConditional", func(t *testing.T, s Store) {
			v, etag, clock, err := s.ReadLastModified(ctx)
			if err != nil || v != 0 || etag != "" {
				t.Fatalf("ReadLastModified of an empty store = %d, %q, %v", v, etag, err)
			}
			if d := time.Since(clock); d > time.Minute || d < -time.Minute {
				t.Fatalf("store clock %s, want about now", clock)
			}
			if err := s.WriteLastModified(ctx, 1712345678901, ""); err != nil {
				t.Fatal(err)
			}
			// Created meanwhile: a create-only write loses.
			if err := s.WriteLastModified(ctx, 1712345678902, ""); !errors.Is(err, ErrPrecondition) {
				t.Fatalf("second create-only write = %v, want ErrPrecondition", err)
			}
			v, etag, _, err = s.ReadLastModified(ctx)
			if err != nil || v != 1712345678901 || etag == "" {
				t.Fatalf("ReadLastModified = %d, %q, %v", v, etag, err)
			}
			// Changed meanwhile by another writer: the write loses, and a bump reads again.
			if err := s.SetLastModified(ctx, 1712345678950); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteLastModified(ctx, 1712345678903, etag); !errors.Is(err, ErrPrecondition) {
				t.Fatalf("write on a changed file = %v, want ErrPrecondition", err)
			}
			if got, _ := s.LastModified(ctx); got != 1712345678950 {
				t.Fatalf("the other writer's value was overwritten: %d", got)
			}
			_, etag, _, _ = s.ReadLastModified(ctx)
			if err := s.WriteLastModified(ctx, 1712345678960, etag); err != nil {
				t.Fatalf("write on an unchanged file: %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}
