"""Renders a batch of template cases with Jinja2, the reference for pipegen's templates.

Reads one JSON document on stdin: a list of cases, each
    {"name": str, "files": {path: text}, "main": path, "vars": {...},
     "trim_blocks": bool, "lstrip_blocks": bool}
and writes one JSON object on stdout: {name: {"out": text}} or {name: {"error": "Type: message"}}.
One process renders every case, so the differential test costs one Python start-up.
The environment is Jinja2's default one with StrictUndefined, as pipegen treats an undefined
name as an error.
"""
import json
import sys

import jinja2


def render(case):
    env = jinja2.Environment(
        loader=jinja2.DictLoader(case["files"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=case.get("trim_blocks", False),
        lstrip_blocks=case.get("lstrip_blocks", False),
        autoescape=False,
    )
    try:
        return {"out": env.get_template(case["main"]).render(**case.get("vars") or {})}
    except Exception as exc:  # every failure is an answer: the test compares it with pipegen's
        return {"error": "%s: %s" % (type(exc).__name__, exc)}


def main():
    cases = json.load(sys.stdin)
    out = {c["name"]: render(c) for c in cases}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
