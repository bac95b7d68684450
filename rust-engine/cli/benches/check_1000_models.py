#!/usr/bin/env python3
"""The time of `ripple check` on a producer repository with 1,000 dbt models.

Generates a git repository (in a temporary folder, or DIR) with a dbt
project of 1,000 models: 949 staging and mart models over 50 raw sources,
and `stg_orders`, which 50 models read (20 of them the column the change
renames, 10 the one it drops, 20 neither). The head commit renames
`amount` to `amount_usd` (declared with `meta.renamed_from`) and drops
`status` in `stg_orders`. Then runs the release build of `ripple check`
RUNS times and prints the median wall-clock time, and the time of the
parts it is made of, measured on their own: git reading the two commits'
files, `ripple project` (one commit's dbt project: every model's columns
from its SQL; `check` does it for both commits), and `ripple analyze` of
the models (the consumers, analysed once).

Not part of the test command: run it by hand.

    cargo build --release -p ripple-cli
    python3 rust-engine/cli/benches/check_1000_models.py [--runs 7] [--keep DIR]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
RIPPLE = os.path.join(ROOT, "target", "release", "ripple")
MODELS = 1000
CONSUMERS = 50
SOURCES = 50

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2026-12-01T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-12-01T12:00:00Z",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}


def write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, env=GIT_ENV, check=True, capture_output=True, text=True).stdout


STG_ORDERS = """select
    id,
    customer_id,
    amount,
    status,
    cast(created_at as date) as created_day
from {{ source('raw', 'orders') }}
"""

STG_ORDERS_HEAD = """select
    id,
    customer_id,
    amount as amount_usd,
    cast(created_at as date) as created_day
from {{ source('raw', 'orders') }}
"""


def properties(head):
    rename = "\n        meta:\n          renamed_from: amount" if head else ""
    amount = "amount_usd" if head else "amount"
    tables = "".join(f"      - name: t{i}\n" for i in range(SOURCES))
    return (
        "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n" + tables
        + f"models:\n  - name: stg_orders\n    columns:\n      - name: id\n      - name: {amount}{rename}\n"
    )


def generate(root):
    write(root, "dbt_project.yml", "name: bench\nversion: '1.0'\nprofile: bench\nmodel-paths: [\"models\"]\n")
    write(root, "models/staging/stg_orders.sql", STG_ORDERS)
    write(root, "models/staging/schema.yml", properties(False))
    # The consumers of stg_orders.
    for i in range(CONSUMERS):
        column = "amount" if i < 20 else "status" if i < 30 else "customer_id"
        write(
            root,
            f"models/marts/orders/orders_{i:03}.sql",
            f"select customer_id, {column}, count(*) as n_{i}\nfrom {{{{ ref('stg_orders') }}}}\n"
            f"where id > {i}\ngroup by customer_id, {column}\n",
        )
    # The rest: staging models over raw sources, and marts over them.
    others = MODELS - 1 - CONSUMERS
    staging = others // 2
    for i in range(staging):
        write(
            root,
            f"models/staging/other/stg_{i:03}.sql",
            f"select\n    id,\n    name,\n    cast(value as numeric) as value_{i},\n    updated_at\n"
            f"from {{{{ source('raw', 't{i % SOURCES}') }}}}\nwhere id is not null\n",
        )
    for i in range(others - staging):
        a, b = i % staging, (i * 7 + 3) % staging
        write(
            root,
            f"models/marts/other/mart_{i:03}.sql",
            f"with a as (\n    select id, name, value_{a} from {{{{ ref('stg_{a:03}') }}}}\n),\n"
            f"b as (\n    select id, value_{b} from {{{{ ref('stg_{b:03}') }}}}\n)\n"
            f"select a.id, a.name, a.value_{a} + coalesce(b.value_{b}, 0) as total_{i}\n"
            f"from a left join b on a.id = b.id\n",
        )


def timed(args, cwd, runs, ok=(0, 1)):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(args, cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - start)
        if out.returncode not in ok:
            sys.exit(f"{' '.join(args)} exited {out.returncode}: {out.stderr.decode()}")
    return statistics.median(times), out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", help="generate the repository in this folder and keep it")
    options = parser.parse_args()
    if not os.path.exists(RIPPLE):
        sys.exit(f"{RIPPLE} is missing: cargo build --release -p ripple-cli")
    root = options.keep or tempfile.mkdtemp(prefix="ripple-check-bench-")
    if options.keep:
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
    try:
        git(root, "init", "-q", "-b", "main")
        generate(root)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "base")
        write(root, "models/staging/stg_orders.sql", STG_ORDERS_HEAD)
        write(root, "models/staging/schema.yml", properties(True))
        git(root, "commit", "-q", "-am", "stg_orders: amount_usd, no status")
        models = int(git(root, "ls-files", "models/*.sql").count("\n"))

        check, out = timed([RIPPLE, "check", "--base", "HEAD~1", "--format", "json"], root, options.runs)
        report = json.loads(out.stdout)
        dataset = report["datasets"][0]
        verdicts = {}
        for consumer in dataset["consumers"]:
            verdicts[consumer["verdict"]] = verdicts.get(consumer["verdict"], 0) + 1
        paths = git(root, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
        # As `check` reads them: both trees, then each blob once, by its id.
        git_times = []
        for _ in range(options.runs):
            start = time.perf_counter()
            ids = set()
            for commit in ("HEAD", "HEAD~1"):
                tree = subprocess.run(["git", "ls-tree", "-r", "-z", "--full-tree", commit], cwd=root, capture_output=True, check=True).stdout
                ids.update(entry.split(b"\t")[0].split(b" ")[2] for entry in tree.split(b"\0") if entry)
            subprocess.run(["git", "cat-file", "--batch", "--buffer"], cwd=root, input=b"\n".join(ids) + b"\n", capture_output=True, check=True)
            git_times.append(time.perf_counter() - start)
        project, _ = timed([RIPPLE, "project", "."], root, options.runs, ok=(0,))
        analyze, _ = timed([RIPPLE, "analyze", "models"], root, options.runs, ok=(0,))
        print(f"repository: {models} dbt models, {len(paths)} files; exit status {out.returncode}")
        print(f"changed: {dataset['dataset']}: {[c['kind'] for c in dataset['change']['changes']]}; consumers: {verdicts}")
        print(f"ripple check (median of {options.runs}): {check * 1000:.0f} ms")
        print(f"  git: ls-tree of both commits, cat-file of their files by id: {statistics.median(git_times) * 1000:.0f} ms")
        print(f"  ripple project . (one commit's project; check reads two): {project * 1000:.0f} ms")
        print(f"  ripple analyze models (every model once, as consumers): {analyze * 1000:.0f} ms")
    finally:
        if not options.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
