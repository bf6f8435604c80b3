// Package render renders pipeline templates with pongo2, made safe and strict for YAML.
//
// What a template author can rely on:
//
//   - Output is Jinja2-compatible where pongo2 allows it: line endings are normalised to \n and
//     one trailing newline is dropped, as Jinja2 does by default.
//   - Every value printed with {{ }} is escaped for the YAML context it lands in (double- or
//     single-quoted, unquoted, block scalar, comment), so it reads back as exactly what was
//     printed, or the render is refused at the {{ }} (marks.go, yamlctx.go, place.go).
//     |tojson and |safe print their text as is.
//   - Integers print as 3, floats as Python prints them (1.5, 3.0, 1e-07), whether they come
//     from the variables, a literal or arithmetic (printValue); lists and maps print as JSON.
//     In {% if %} and {% elif %} a float variable compares with == as in Jinja2 (condFilter).
//     Known pongo2 limits: integers wrap past 2^63, and 2 == 2.0 is false.
//   - Templates are found by name from the templates directory root (not relative to the
//     including file): {% include "stages/bake.yml" %} or {% include "stages/bake" %}. Include,
//     import and extends need a string literal; paths cannot leave the directory (.., absolute
//     paths and symlinks pointing outside all fail); {% ssi %}, {% now %}, {% lorem %} and
//     |random are disabled.
//   - A name that is neither bound in the template nor passed in the variables is an error with
//     file and line, and so is a lookup that finds nothing at any depth (a.b.c, a["b"], a loop
//     item's key, an index past the end: strict.go) and a macro parameter without default not
//     passed; x|default(…), x|default:"…", default_if_none, firstof and "is defined" make a name
//     optional. A null in the variables is Jinja2's None (printed "None").
//   - Jinja2 filter call syntax (x|replace("a", "b")) renders with Jinja2's meaning for the
//     filters in jinja_filters.go; `or`/`and` whose value is used, "/" and "%" on a string are
//     refused (check_values.go).
//     A name set with {% set %} must be set before it is used, in every branch of an if/else
//     when used after it; sets inside a for/with/macro body do not leave it.
//   - Macros can only be called, and only call macros defined before them (recursion would crash
//     the process); {% for k, v in map %} needs "sorted" (map order is random).
//   - loop.index … loop.length and {% for %}…{% else %} are compiled to pongo2's forloop and
//     {% empty %}. Other Jinja idioms pongo2 lacks fail with the pongo2 way to write them (~,
//     {% raw %}, .items(), range(), None/True/False, x if c else y, list and dict literals, …).
package render
