"""Renders a template with Python Jinja2 (default Environment settings, StrictUndefined) and the
variables of the seed golden test, to produce the reference output render_test.go compares with.

Used to create golden/seed-deploy.jinja2.txt with Jinja2 3.1.6 / Python 3.11.7:

    python3 testdata/jinja2_render.py testdata/seed deploy.yml > testdata/golden/seed-deploy.jinja2.txt
"""
import sys

import jinja2

env = jinja2.Environment(loader=jinja2.FileSystemLoader(sys.argv[1]), undefined=jinja2.StrictUndefined)
out = env.get_template(sys.argv[2]).render(
    app_name="my-microservice",
    product="azar",
    namespace="azar-api",
    git_repo="azar/my-microservice",
    stack="dev",
)
sys.stdout.write(out)
