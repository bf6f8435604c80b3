// Package testtool finds the reference programs that tests compare pipegen with: Debian's
// Python with Jinja2 (templates), a JDK with Jackson (Front50's reading) and Chromium (web
// pages). `make test` installs them (target test-deps) and sets PIPEGEN_REQUIRE_TOOLS=1, so
// a missing one fails the test there; elsewhere it skips loudly with the way to get it.
package testtool

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// EnvRequire set to "1" (make test, CI) turns a missing reference tool into a failure.
const EnvRequire = "PIPEGEN_REQUIRE_TOOLS"

// Required reports whether missing tools fail tests rather than skip them.
func Required() bool {
	return os.Getenv(EnvRequire) == "1" || os.Getenv("CI") == "true"
}

func missing(t testing.TB, what, why string) {
	t.Helper()
	msg := MissingMessage(what, errors.New(why))
	if Required() {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
}

// Python is Debian's /usr/bin/python3 (not a pyenv or venv one) with jinja2 and yaml
// importable: the reference renderer. The Debian package pins Jinja2 to a known version.
func Python(t testing.TB) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import jinja2, yaml").CombinedOutput(); err != nil {
		missing(t, "python3-jinja2", strings.TrimSpace(string(out)))
	}
	return py
}

// Java returns the java and javac commands and a class path holding Jackson's databind,
// core and annotations jars (Debian's libjackson2-databind-java).
func Java(t testing.TB) (java, javac, classpath string) {
	t.Helper()
	java, javac, classpath, what, err := JavaTools()
	if err != nil {
		missing(t, what, err.Error())
	}
	return java, javac, classpath
}

// JavaTools is Java's lookup for checks that run outside a test (after m.Run in a TestMain);
// on failure, what names the Debian package that is missing.
func JavaTools() (java, javac, classpath, what string, err error) {
	java, err1 := exec.LookPath("java")
	javac, err2 := exec.LookPath("javac")
	if err1 != nil || err2 != nil {
		return "", "", "", "a JDK (default-jdk-headless)", errors.New("java or javac not on PATH")
	}
	var jars []string
	for _, name := range []string{"jackson-databind.jar", "jackson-core.jar", "jackson-annotations.jar"} {
		p := filepath.Join("/usr/share/java", name)
		if _, err := os.Stat(p); err != nil {
			return "", "", "", "libjackson2-databind-java", errors.New(p + " not found")
		}
		jars = append(jars, p)
	}
	return java, javac, strings.Join(jars, string(os.PathListSeparator)), "", nil
}

// MissingMessage is the text of a skip or failure for a missing tool, for checks outside tests.
func MissingMessage(what string, err error) string {
	return what + " not available (" + err.Error() + "); `make test` installs it (make test-deps)"
}

// Chromium returns Debian's headless-capable browser.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "chromium", "no chromium on PATH")
	return ""
}

// ChromiumFlags are the flags a headless run needs on a machine with no network and as root.
var ChromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage",
}
