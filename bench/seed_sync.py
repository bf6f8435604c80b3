#!/usr/bin/python3
"""The seed's sync(), as the seed describes it, for pipegen's benchmark (see docs/PERFORMANCE.md).

Seed 004 (Hyperconnect's pipeline generator) syncs like this, one pipeline after the other:

    for micro_service ...: for stack ...: for pipeline_template ...:
        pipeline_id, pipeline_json = build_pipeline(...)   # jinja2.Template(content).render(...)
                                                           # then yaml.load(...)
        is_updated, diff = get_diff(pipeline_id, pipeline_json)  # GET from S3, DeepDiff
        if is_updated: jobs.append(...)
    for job in jobs: s3_upload(job['id'], json.dumps(job['data']))

This script is that loop, faithfully: a jinja2.Template built for every render (the seed keeps
template text in a database and builds the Template inside build_pipeline), yaml.safe_load of
the rendered text (PyYAML 6 needs a Loader; safe_load is what yaml.load was), artifact ids made
with uuid (the seed says "UUID로 구별하는데, 이를 동적으로 만들어줘야 합니다" without showing how;
uuid5 keeps them stable, so an unchanged pipeline diffs as unchanged), DeepDiff against the
object fetched with boto3 get_object, the diff dumped to YAML for display as the seed does, and
put_object for each changed pipeline. The Django models become the services/*.yaml files of the
same repo pipegen reads, and the templates the Jinja2 twins in templates-jinja2/ (the synthetic
repo has both; only loop variables differ). It reads what pipegen reads and writes the same
bucket layout, to its own bucket.

The seed mentions "cache 등 성능 향상을 위한 복잡한 코드" it does not show; none is added here.

Usage: seed_sync.py --repo DIR --bucket B --endpoint URL [--root front50] [--dry-run]
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Prints one JSON line of counts.
"""

import argparse
import glob
import json
import os
import sys
import time
import uuid

import boto3
import jinja2
import yaml
from botocore.config import Config
from deepdiff import DeepDiff

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/pipegen/pipegen/bench/seed")


def load_services(repo):
    """The MicroService/Stack rows of the seed's Django models, from the services files."""
    services = []
    for path in sorted(glob.glob(os.path.join(repo, "services", "**", "*.y*ml"), recursive=True)):
        with open(path) as f:
            services.append(yaml.safe_load(f))
    with open(os.path.join(repo, "pipegen.yaml")) as f:
        global_vars = (yaml.safe_load(f) or {}).get("vars") or {}
    return services, global_vars


def load_template(repo, name):
    """PipelineTemplate.content: the text, as the seed's model field holds it."""
    with open(os.path.join(repo, "templates-jinja2", name + ".yml")) as f:
        return f.read()


def pipeline_id_of(app, name):
    return str(uuid.uuid5(NAMESPACE, "pipeline:%s/%s" % (app, name.strip())))


def build_pipeline(micro_service, stack_name, stack, entry, global_vars, repo):
    if isinstance(entry, str):
        entry = {"template": entry}
    content = load_template(repo, entry["template"])
    template = jinja2.Template(content)  # the seed builds the Template on every call
    app = micro_service["name"]
    context = {}
    for layer in (global_vars, micro_service.get("vars"), stack.get("vars"), entry.get("vars")):
        context.update(layer or {})
    context.update({
        "app_name": app,
        "product": micro_service.get("product"),
        "team": micro_service.get("team"),
        "namespace": micro_service.get("namespace"),
        "git_repo": micro_service.get("gitRepo"),
        "stack": stack_name,
        "pipeline_id": lambda name: pipeline_id_of(app, name),
    })
    yaml_text = template.render(context)
    pipeline_as_dict = yaml.safe_load(yaml_text)
    pipeline_as_dict.setdefault("application", app)
    pipeline_id = pipeline_id_of(app, pipeline_as_dict["name"])
    pipeline_as_dict["id"] = pipeline_id
    assign_ids(pipeline_as_dict, pipeline_id)
    return pipeline_id, pipeline_as_dict


def assign_ids(doc, pipeline_id):
    """Spinnaker tells artifacts and triggers apart by UUID; the seed generates them."""
    by_name = {}
    lists = [doc.get("expectedArtifacts") or []]
    for stage in doc.get("stages") or []:
        lists.append(stage.get("expectedArtifacts") or [])
    for artifacts in lists:
        for i, a in enumerate(artifacts):
            label = a.get("displayName") or "#%d" % i
            a.setdefault("id", str(uuid.uuid5(NAMESPACE, "artifact:%s/%s" % (pipeline_id, label))))
            by_name[label] = a["id"]
    for i, t in enumerate(doc.get("triggers") or []):
        t.setdefault("id", str(uuid.uuid5(NAMESPACE, "trigger:%s/#%d" % (pipeline_id, i))))
    resolve_refs(doc, by_name)


def resolve_refs(node, by_name):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "inputArtifacts" and isinstance(v, list):
                for ref in v:
                    if isinstance(ref, dict) and ref.get("id") in by_name:
                        ref["id"] = by_name[ref["id"]]
            elif k.endswith("ArtifactId") or k == "artifactId":
                if isinstance(v, str) and v in by_name:
                    node[k] = by_name[v]
            elif k.endswith("ArtifactIds") or k == "artifactIds":
                if isinstance(v, list):
                    node[k] = [by_name.get(x, x) if isinstance(x, str) else x for x in v]
            else:
                resolve_refs(v, by_name)
    elif isinstance(node, list):
        for x in node:
            resolve_refs(x, by_name)


class Front50Bucket:
    def __init__(self, client, bucket, root):
        self.client, self.bucket, self.root = client, bucket, root
        self.gets = self.puts = 0

    def key(self, pipeline_id):
        return "%s/pipelines/%s/pipeline-metadata.json" % (self.root, pipeline_id)

    def get_current_pipeline(self, pipeline_id):
        self.gets += 1
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.key(pipeline_id))
        except self.client.exceptions.NoSuchKey:
            return {}
        return json.loads(obj["Body"].read())

    def s3_upload(self, pipeline_id, body):
        self.puts += 1
        self.client.put_object(Bucket=self.bucket, Key=self.key(pipeline_id), Body=body.encode())

    def bump_last_modified(self):
        self.puts += 1
        body = json.dumps({"lastModified": int(time.time() * 1000)})
        self.client.put_object(Bucket=self.bucket, Key="%s/pipelines/last-modified.json" % self.root, Body=body.encode())


def get_diff(store, pipeline_id, pipeline_json):
    pipeline_json_old = store.get_current_pipeline(pipeline_id)
    patch = DeepDiff(pipeline_json_old, pipeline_json)
    is_updated = bool(patch)
    return is_updated, yaml.dump(json.loads(patch.to_json())) if patch else ""


def sync(repo, store, dry_run=False):
    services, global_vars = load_services(repo)
    jobs = []
    total = 0
    for micro_service in services:
        for stack_name, stack in (micro_service.get("stacks") or {}).items():
            for entry in stack.get("pipelines") or []:
                pipeline_id, pipeline_json = build_pipeline(micro_service, stack_name, stack, entry, global_vars, repo)
                total += 1
                is_updated, diff = get_diff(store, pipeline_id, pipeline_json)
                if is_updated:
                    jobs.append({"id": pipeline_id, "data": pipeline_json, "diff": diff})
    if not dry_run:
        for job in jobs:
            store.s3_upload(job["id"], json.dumps(job["data"]))
        if jobs:
            store.bump_last_modified()
    return total, jobs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", required=True)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--root", default="front50")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    client = boto3.client(
        "s3", endpoint_url=args.endpoint, region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    store = Front50Bucket(client, args.bucket, args.root)
    total, jobs = sync(args.repo, store, dry_run=args.dry_run)
    json.dump({"pipelines": total, "changed": len(jobs), "gets": store.gets, "puts": store.puts}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
