#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Print the include graph of a directory's modules and any include cycles.

A module is a .c/.h pair named alike (call.c and call.h are the module
"call"; a header alone, such as types.h, is a module too). Module A depends
on module B when a file of A includes "B.h" with quotes and B.h is in the
same directory; <system> includes and a file's own header are not edges.

    scripts/include-graph.py daemon                 the graph as it is on disk
    scripts/include-graph.py --rev HEAD~5 daemon    the graph at a git revision
    scripts/include-graph.py --dot daemon | dot -Tsvg > daemon.svg

The text output is one line per module ("module: dependencies"), then the
include cycles: each group of modules that reach each other, with one
shortest cycle through it. Exit status 1 if there is a cycle, 0 otherwise.

scripts/check-source.py imports this file for its layering rule.
"""

import argparse
import collections
import os
import re
import signal
import subprocess
import sys

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def module_of(filename):
    """The module a file belongs to: its name without directory and suffix."""
    return os.path.splitext(os.path.basename(filename))[0]


def parse_includes(text):
    """Yield (line, header, quoted) for every #include line of a C file."""
    for ln, line in enumerate(text.split("\n"), start=1):
        m = INCLUDE_RE.match(line)
        if m:
            yield ln, m.group(2), m.group(1) == '"'


def build_graph(texts):
    """Build the module graph of one directory.

    texts maps file names (no directory) to their contents. Returns
    (modules, edges): the set of module names, and a dict module -> dict
    dependency -> list of (file, line) where the include is written."""
    headers = {f for f in texts if f.endswith(".h")}
    modules = {module_of(f) for f in texts}
    edges = collections.defaultdict(lambda: collections.defaultdict(list))
    for f in sorted(texts):
        src = module_of(f)
        for ln, header, quoted in parse_includes(texts[f]):
            dst = module_of(header)
            if quoted and header in headers and dst != src:
                edges[src][dst].append((f, ln))
    return modules, edges


def strongly_connected(modules, edges):
    """Tarjan's algorithm; returns the groups of more than one module, sorted."""
    index = {}
    low = {}
    stack = []
    on_stack = set()
    groups = []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(modules):
        if v not in index:
            visit(v)
    return sorted(groups)


def shortest_cycle(group, edges):
    """A shortest cycle through the group's first module, staying inside the
    group; returned as [first, ..., first]."""
    start = group[0]
    members = set(group)
    parent = {start: None}
    queue = collections.deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(edges.get(v, ())):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return path[::-1] + [start]
            if w not in parent:
                parent[w] = v
                queue.append(w)
    return [start, start]


def cycles(modules, edges):
    """[(group, cycle)] for every include cycle."""
    return [(g, shortest_cycle(g, edges)) for g in strongly_connected(modules, edges)]


def read_directory(directory):
    texts = {}
    for f in sorted(os.listdir(directory)):
        if f.endswith((".c", ".h")):
            with open(os.path.join(directory, f), encoding="utf-8", errors="replace") as fp:
                texts[f] = fp.read()
    return texts


def read_revision(rev, directory):
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout

    texts = {}
    for path in git("ls-tree", "--name-only", rev, directory.rstrip("/") + "/").splitlines():
        if path.endswith((".c", ".h")):
            texts[os.path.basename(path)] = git("show", f"{rev}:./{path}")
    return texts


def print_text(modules, edges, found):
    for m in sorted(modules):
        print(f"{m}: {' '.join(sorted(edges.get(m, ())))}".rstrip())
    print(f"include cycles: {len(found)}")
    for group, cycle in found:
        print(f"  {len(group)} modules reach each other: {' '.join(group)}")
        print(f"    e.g. {' -> '.join(cycle)}")


def print_dot(modules, edges, found, name):
    in_cycle = {m: i for i, (group, _) in enumerate(found) for m in group}
    print(f'digraph "{name}" {{')
    print("        node [shape=box, fontname=monospace];")
    for m in sorted(modules):
        print(f'        "{m}"{" [color=red]" if m in in_cycle else ""};')
    for m in sorted(edges):
        for d in sorted(edges[m]):
            red = m in in_cycle and in_cycle.get(d) == in_cycle[m]
            print(f'        "{m}" -> "{d}"{" [color=red]" if red else ""};')
    print("}")


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` is not an error
    parser = argparse.ArgumentParser(
        description="Print a directory's module include graph and its include cycles.",
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("directory", nargs="?", default="daemon",
                        help="directory of .c/.h files (default: daemon)")
    parser.add_argument("--dot", action="store_true",
                        help="print a graphviz digraph instead (cycle edges in red)")
    parser.add_argument("--rev", metavar="REV",
                        help="read the files at this git revision instead of the work tree")
    args = parser.parse_args()

    try:
        texts = read_revision(args.rev, args.directory) if args.rev else read_directory(args.directory)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"include-graph: {getattr(e, 'stderr', None) or e}".rstrip(), file=sys.stderr)
        return 2
    if not texts:
        print(f"include-graph: no .c or .h files in {args.directory}", file=sys.stderr)
        return 2

    modules, edges = build_graph(texts)
    found = cycles(modules, edges)
    if args.dot:
        print_dot(modules, edges, found, args.directory.rstrip("/"))
    else:
        print_text(modules, edges, found)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
