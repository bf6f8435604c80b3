"""Renders hostile values in YAML contexts with Jinja2 and reads YAML texts with PyYAML.

Reads one JSON document on stdin:
    {"jinja": [{"name": str, "template": str, "vars": {...}}], "yaml": {name: text}}
and writes {"jinja": {name: {"out": text, "doc": value} or {"error": str}},
            "yaml": {name: {"doc": value} or {"error": str}}}.
"jinja" is what a Jinja2 user gets (the template rendered, then yaml.safe_load); "yaml" reads
pipegen's outputs with the same PyYAML, so both are judged by one reader. A value that is not a
string, list or mapping is written {"__py__": "type:repr"} so it never equals a string.
One process does everything: the test costs one Python start-up.
"""
import json
import sys

import jinja2
import yaml


def plain(v):
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else "__key__:%s:%r" % (type(k).__name__, k)): plain(x)
                for k, x in v.items()}
    return {"__py__": "%s:%r" % (type(v).__name__, v)}


def load(text):
    try:
        return {"doc": plain(yaml.safe_load(text))}
    except Exception as exc:
        return {"error": "%s: %s" % (type(exc).__name__, exc)}


def main():
    batch = json.load(sys.stdin)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    out = {"jinja": {}, "yaml": {}}
    for case in batch["jinja"]:
        try:
            text = env.from_string(case["template"]).render(**case["vars"])
        except Exception as exc:
            out["jinja"][case["name"]] = {"error": "%s: %s" % (type(exc).__name__, exc)}
            continue
        res = load(text)
        res["out"] = text
        out["jinja"][case["name"]] = res
    for name, text in batch["yaml"].items():
        out["yaml"][name] = load(text)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
