package iostreams

// ColorScheme colours text with ANSI SGR codes when enabled and returns it unchanged otherwise,
// so printers call it unconditionally. A nil *ColorScheme is valid and colours nothing.
type ColorScheme struct {
	enabled bool
}

// NewColorScheme returns a scheme that colours when enabled is true.
func NewColorScheme(enabled bool) *ColorScheme { return &ColorScheme{enabled: enabled} }

// Enabled reports whether the scheme adds colour codes.
func (c *ColorScheme) Enabled() bool { return c != nil && c.enabled }

func (c *ColorScheme) wrap(code, s string) string {
	if !c.Enabled() || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (c *ColorScheme) Green(s string) string  { return c.wrap("32", s) }
func (c *ColorScheme) Red(s string) string    { return c.wrap("31", s) }
func (c *ColorScheme) Yellow(s string) string { return c.wrap("33", s) }
func (c *ColorScheme) Cyan(s string) string   { return c.wrap("36", s) }
func (c *ColorScheme) Bold(s string) string   { return c.wrap("1", s) }
func (c *ColorScheme) Gray(s string) string   { return c.wrap("90", s) }
