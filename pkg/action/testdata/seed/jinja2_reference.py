#!/usr/bin/env python3
"""Regenerates the Jinja2 references for TestSeedMatchesJinja2: jinja2-rendered.yml (the text
the seed's tool renders from the verbatim seed template) and jinja2-reference.json (what
PyYAML reads from it). Run from this folder: python3 jinja2_reference.py"""
import json
import jinja2, yaml

ctx = {"app_name": "my-microservice", "product": "azar", "team": "azar-backend1",
       "namespace": "azar-api", "git_repo": "azar/my-microservice", "stack": "dev"}
# Jinja2's defaults, as the seed's sync() used them: jinja2.Template(content).render(...)
text = jinja2.Template(open("templates/deploy.yml", encoding="utf-8").read()).render(ctx)
with open("jinja2-rendered.yml", "w", encoding="utf-8") as f:
    f.write(text)
with open("jinja2-reference.json", "w", encoding="utf-8") as f:
    json.dump(yaml.safe_load(text), f, indent=2, sort_keys=True, ensure_ascii=False)
    f.write("\n")
