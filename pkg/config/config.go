// Package config resolves pipegen's settings: command-line flags > PIPEGEN_* environment >
// pipegen.yaml > defaults. Relative paths from pipegen.yaml (and the default store) are relative
// to the services repo root; relative paths from flags or the environment to the working
// directory, as a shell user expects.
package config

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pipegen/pipegen/pkg/loc"
	"github.com/pipegen/pipegen/pkg/yamldoc"
	yaml "go.yaml.in/yaml/v3"
)

// FileName is the optional project config at the services repo root.
const FileName = "pipegen.yaml"

// DefaultStore is the embedded store: the bucket layout, on disk, inside the services repo.
const DefaultStore = "file://.pipegen/front50"

// Config is the resolved configuration. Paths are absolute.
type Config struct {
	Root     string // services repo root
	File     string // the pipegen.yaml that was read, "" if none
	Store    string // "s3://bucket/root" or "file:///abs/dir"
	Endpoint string
	Region   string
	SSE      string
	// ACL is "" or ACLBucketOwnerFullControl, set on every object written.
	ACL       string
	Services  string
	Templates string
	Vars      map[string]any
	Lock      bool
	// TrimBlocks and LstripBlocks are Jinja2's environment options of the same names.
	TrimBlocks, LstripBlocks bool
	// RunAs is who pipelines may run as (a trigger's runAsUser, a pipeline's serviceAccount),
	// by application; empty allows nobody.
	RunAs []RunAsRule
}

// RunAsRule allows the applications matching App to run as the accounts matching one of
// Accounts (shell globs, compared without case as Fiat compares user names).
type RunAsRule struct {
	App      string
	Accounts []string
}

// AllowsRunAs reports whether pipelines of app may run as account.
func (c *Config) AllowsRunAs(app, account string) bool {
	app, account = strings.ToLower(app), strings.ToLower(account)
	for _, r := range c.RunAs {
		if ok, _ := path.Match(strings.ToLower(r.App), app); !ok {
			continue
		}
		for _, a := range r.Accounts {
			if ok, _ := path.Match(strings.ToLower(a), account); ok {
				return true
			}
		}
	}
	return false
}

// Overrides are the values given on the command line; empty strings and nil pointers mean
// "not given".
type Overrides struct {
	Dir, ConfigFile, Store, Endpoint, Region string
}

// Env looks up an environment variable (os.Getenv in production, a map in tests).
type Env func(string) string

// Load resolves the configuration. cwd is the working directory.
func Load(o Overrides, env Env, cwd string) (*Config, error) {
	abs := func(base, p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	c := &Config{Root: cwd, Lock: true}
	if o.Dir != "" {
		c.Root = abs(cwd, o.Dir)
	}
	if fi, err := os.Stat(c.Root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("services repo root %s: not a directory", c.Root)
	}

	file := abs(cwd, firstNonEmpty(o.ConfigFile, env("PIPEGEN_CONFIG")))
	explicit := file != ""
	if !explicit {
		file = filepath.Join(c.Root, FileName)
	}
	fc, err := readFile(file)
	switch {
	case err == nil:
		c.File = file
	case errors.Is(err, os.ErrNotExist) && !explicit:
		fc = &fileConfig{}
	default:
		return nil, err
	}
	// SPEC: relative paths in pipegen.yaml are relative to the services repo root, wherever
	// the file itself is (a shared config kept elsewhere still describes this repo).
	fileBase := c.Root

	c.Services = abs(fileBase, firstNonEmpty(fc.Services, "services"))
	c.Templates = abs(fileBase, firstNonEmpty(fc.Templates, "templates"))
	if v := env("PIPEGEN_SERVICES"); v != "" {
		c.Services = abs(cwd, v)
	}
	if v := env("PIPEGEN_TEMPLATES"); v != "" {
		c.Templates = abs(cwd, v)
	}
	c.Vars = fc.Vars
	c.TrimBlocks, c.LstripBlocks = fc.Jinja.TrimBlocks, fc.Jinja.LstripBlocks
	c.RunAs = fc.RunAs
	if fc.Lock != nil {
		c.Lock = *fc.Lock
	}
	if v := env("PIPEGEN_LOCK"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("PIPEGEN_LOCK=%q: want true or false", v)
		}
		c.Lock = b
	}

	// Each setting: flag, else environment, else file (resolved against the file's folder).
	store, storeBase := o.Store, cwd
	if store == "" {
		store = env("PIPEGEN_STORE")
	}
	if store == "" {
		store, storeBase = firstNonEmpty(fc.Store, DefaultStore), fileBase
	}
	c.Store, err = normaliseStore(store, storeBase)
	if err != nil {
		return nil, err
	}
	// The standard AWS variables are environment too, so they beat pipegen.yaml (SPEC:
	// flags > environment > file); the AWS SDK's own chain still applies when all are empty.
	c.Endpoint = firstNonEmpty(o.Endpoint, env("PIPEGEN_S3_ENDPOINT"), env("AWS_ENDPOINT_URL_S3"), env("AWS_ENDPOINT_URL"), fc.S3.Endpoint)
	c.Region = firstNonEmpty(o.Region, env("PIPEGEN_S3_REGION"), env("AWS_REGION"), env("AWS_DEFAULT_REGION"), fc.S3.Region)
	c.SSE = firstNonEmpty(env("PIPEGEN_S3_SSE"), fc.S3.SSE)
	switch c.SSE {
	case "", "AES256", "aws:kms":
	default:
		return nil, fmt.Errorf("s3.sse %q: want AES256 or aws:kms", c.SSE)
	}
	// Front50 encrypts with aws:kms and the bucket's default key, never a key id of its own:
	// an object under another key may be one its role cannot decrypt, and one GET refused
	// fails its whole refresh.
	if env("PIPEGEN_S3_KMS_KEY_ID") != "" {
		return nil, errors.New("PIPEGEN_S3_KMS_KEY_ID: " + kmsKeyIDRefused)
	}
	c.ACL = firstNonEmpty(env("PIPEGEN_S3_ACL"), fc.S3.ACL)
	switch c.ACL {
	case "", ACLBucketOwnerFullControl:
	default:
		return nil, fmt.Errorf("s3.acl %q: the only canned ACL pipegen sets is %s (for a writer in another account than the bucket's)", c.ACL, ACLBucketOwnerFullControl)
	}
	return c, nil
}

// kmsKeyIDRefused says why a KMS key id is not accepted, and what to do instead.
const kmsKeyIDRefused = "a KMS key id is not supported: Front50 never sets one (it writes with aws:kms and the bucket's default key), so objects under another key may be unreadable to Front50's role, and one object it cannot read fails its whole refresh; make the key the bucket's default encryption key and set only sse: aws:kms"

// ACLBucketOwnerFullControl is the canned ACL a writer in another AWS account than the
// bucket's needs so that the bucket owner (and Front50's role) can read what it writes.
const ACLBucketOwnerFullControl = "bucket-owner-full-control"

// normaliseStore makes file:// paths absolute; other schemes are checked by the store.
func normaliseStore(u, base string) (string, error) {
	if rest, ok := strings.CutPrefix(u, "file://"); ok {
		if rest == "" {
			return "", fmt.Errorf("store %q: file:// needs a folder, e.g. file://.pipegen/front50", u)
		}
		if !filepath.IsAbs(rest) {
			rest = filepath.Join(base, rest)
		}
		return "file://" + filepath.ToSlash(rest), nil
	}
	if strings.HasPrefix(u, "s3://") {
		return u, nil
	}
	return "", fmt.Errorf("store %q: unknown scheme; use s3://BUCKET[/ROOT] or file://DIR", u)
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

type fileConfig struct {
	Store, Services, Templates string
	S3                         struct{ Endpoint, Region, SSE, ACL string }
	Vars                       map[string]any
	Lock                       *bool
	Jinja                      struct{ TrimBlocks, LstripBlocks bool }
	RunAs                      []RunAsRule
}

// readRunAs reads `runAs: {APP_GLOB: [ACCOUNT_GLOB, …]}`.
func readRunAs(v *yaml.Node, errf func(*yaml.Node, string, ...any) error) ([]RunAsRule, error) {
	if v.Kind != yaml.MappingNode {
		return nil, errf(v, "runAs must be a mapping of application globs to lists of account globs")
	}
	glob := func(n *yaml.Node, what string) (string, error) {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || n.Value == "" {
			return "", errf(n, "%s must be a non-empty string", what)
		}
		if _, err := path.Match(n.Value, ""); err != nil {
			return "", errf(n, "%s %q is not a valid glob: %v", what, n.Value, err)
		}
		return n.Value, nil
	}
	var rules []RunAsRule
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, list := v.Content[i], v.Content[i+1]
		app, err := glob(k, "a runAs application glob")
		if err != nil {
			return nil, err
		}
		if list.Kind != yaml.SequenceNode {
			return nil, errf(list, "runAs %q must be a list of account globs", app)
		}
		r := RunAsRule{App: app}
		for _, a := range list.Content {
			g, err := glob(a, "a runAs account glob")
			if err != nil {
				return nil, err
			}
			r.Accounts = append(r.Accounts, g)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// Error is a problem in pipegen.yaml.
type Error = loc.Error

func readFile(path string) (*fileConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	root, err := yamldoc.Parse(data)
	if err != nil {
		var ye *yamldoc.Error
		if errors.As(err, &ye) {
			return nil, &Error{File: path, Line: ye.Line, Col: ye.Col, Msg: ye.Msg}
		}
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	fc := &fileConfig{}
	if root == nil {
		return fc, nil
	}
	errf := func(n *yaml.Node, f string, a ...any) error {
		return &Error{File: path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(f, a...)}
	}
	str := func(n *yaml.Node, what string, dst *string) error {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			return errf(n, "%s must be a string", what)
		}
		*dst = n.Value
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, errf(root, "pipegen.yaml must be a mapping")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		var err error
		switch k.Value {
		case "store":
			err = str(v, "store", &fc.Store)
		case "services":
			err = str(v, "services", &fc.Services)
		case "templates":
			err = str(v, "templates", &fc.Templates)
		case "jinja":
			if v.Kind != yaml.MappingNode {
				err = errf(v, "jinja must be a mapping")
				break
			}
			for j := 0; j+1 < len(v.Content) && err == nil; j += 2 {
				sk, sv := v.Content[j], v.Content[j+1]
				var dst *bool
				switch sk.Value {
				case "trim_blocks":
					dst = &fc.Jinja.TrimBlocks
				case "lstrip_blocks":
					dst = &fc.Jinja.LstripBlocks
				default:
					err = errf(sk, "unknown key %q in jinja (known: trim_blocks, lstrip_blocks)", sk.Value)
					continue
				}
				if sv.ShortTag() != "!!bool" {
					err = errf(sv, "jinja.%s must be true or false", sk.Value)
					continue
				}
				*dst = strings.EqualFold(sv.Value, "true")
			}
		case "lock":
			if v.ShortTag() != "!!bool" {
				err = errf(v, "lock must be true or false")
			} else {
				b := v.Value == "true" || v.Value == "True" || v.Value == "TRUE"
				fc.Lock = &b
			}
		case "vars":
			var val any
			if val, err = yamldoc.Value(v); err == nil {
				m, ok := val.(map[string]any)
				if !ok && val != nil {
					err = errf(v, "vars must be a mapping")
				}
				fc.Vars = m
			}
		case "s3":
			if v.Kind != yaml.MappingNode {
				err = errf(v, "s3 must be a mapping")
				break
			}
			for j := 0; j+1 < len(v.Content) && err == nil; j += 2 {
				sk, sv := v.Content[j], v.Content[j+1]
				switch sk.Value {
				case "endpoint":
					err = str(sv, "s3.endpoint", &fc.S3.Endpoint)
				case "region":
					err = str(sv, "s3.region", &fc.S3.Region)
				case "sse":
					err = str(sv, "s3.sse", &fc.S3.SSE)
				case "kmsKeyId":
					err = errf(sk, "s3.kmsKeyId: %s", kmsKeyIDRefused)
				case "acl":
					err = str(sv, "s3.acl", &fc.S3.ACL)
				default:
					err = errf(sk, "unknown key %q in s3 (known: endpoint, region, sse, acl)", sk.Value)
				}
			}
		case "runAs":
			fc.RunAs, err = readRunAs(v, errf)
		default:
			err = errf(k, "unknown key %q (known: store, s3, services, templates, vars, lock, jinja, runAs)", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	return fc, nil
}

// IsDefaultStore reports whether the store is the embedded default of this repo, configured
// or not: a new user's first sync into it is expected, so it is exempt from the empty-store
// guard.
func (c *Config) IsDefaultStore() bool {
	def, err := normaliseStore(DefaultStore, c.Root)
	return err == nil && c.Store == def
}
