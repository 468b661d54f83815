#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Check fwctld's house rules on every tracked source file.

Run from anywhere inside the work tree; scripts/test.sh runs it before it
builds. Files come from `git ls-files`, so untracked build directories and
scratch files are never read. Every violation is printed as

    path:line: rule: text

and the exit status is 1 if there was any, 0 otherwise.

C rules (tracked *.c and *.h). Comments and string literals are blanked out
before the code rules look at a line, so prose and strings never trip them.

  spdx          everywhere: line 1 is `/* SPDX-License-Identifier: ... */`.
  goto          everywhere (daemon, plugins, tools, tests, emulator, bench):
                no goto; use helper functions and _cleanup_ instead.
  ioctl         plugins/ only: no `ioctl(` call. Plugins do no I/O of their
                own; they go through the daemon's helpers on a borrowed fd.
                (daemon/fwctl-ioctl.c is the one place that issues ioctls; the
                emulator and tests are not plugins.)
  streq         daemon/ and tools/ only, which both define streq():
                no `strcmp(...) == 0`, `strcmp(...) != 0` or `!strcmp(`.
                Ordering uses of strcmp (qsort comparators) are fine, and so
                is the `#define streq` line itself. Plugins (no shared
                util header), the emulator, tests and bench may use strcmp.
  indent        everywhere: indentation is spaces (8 per level), never tabs.
                The emulator was checked and already follows the same
                8-space style as the daemon, so the rule covers it too.
  cxx-comment   everywhere except tests/: no `//` comments, C comments only.
  function-length
                daemon/, plugins/, tools/, tests/emulator/,
                tests/integration/ and bench/: a function body is at most
                MAX_FUNCTION_LINES lines (from the line after the opening
                brace to the closing brace). Unit, plugin and fuzz tests
                (tests/unit/, plugins/*/tests/, tests/fuzz/) are exempt: a
                cmocka case is a flat list of assertions and splitting it
                hides what it checks. A function is a definition whose
                signature starts in column 0 and whose body ends with a `}`
                in column 0, which is how every function here is written.

Daemon structure rules (tracked daemon/*.c and daemon/*.h). A module is a
.c/.h pair (call.c + call.h); scripts/include-graph.py builds the module
graph, and `scripts/include-graph.py daemon` prints it.

  layering      DAEMON_LAYERS puts every daemon module in one layer, bottom
                to top: leaf, mechanism, domain, manager, bus, main. A file
                may include the headers of its own layer and of lower ones,
                never of a higher one; the modules must not include each
                other in a cycle (same-layer includes are allowed, cycles are
                not). A module missing from DAEMON_LAYERS is an error (add
                it), and so is an entry with no file left in daemon/.
  sd-bus        sd_bus*/SD_BUS_* and <systemd/sd-bus.h> only in the bus
                layer and polkit.c (a bus mechanism). main.c may include
                sd-daemon.h and sd-event.h, not sd-bus.h. The engine files
                (ENGINE_FILES: call.c, device.c, manager.c) must not see
                sd-bus.h even through a daemon header they include.
  prefix        fwupd's rule: every non-static function defined in daemon/X.c
                is named X_... with '-' as '_' (rpc-exchange.c: rpc_exchange_*),
                or is X itself (main.c: main). PREFIX_EXCEPTIONS lists the
                few names a contract fixes; PREFIX_PENDING lists the known
                violations still to rename. An entry in either that no longer
                matches a function is an error, so both lists only shrink.

Shell rules (tracked *.sh):

  bash-n        everywhere: `bash -n` parses the script.
  shellcheck    everywhere, when shellcheck is installed (scripts/deps.sh
                installs it): `shellcheck -S warning` is clean. Style and
                info notes are not enforced. SHELLCHECK_EXCLUDE lists the
                few warnings that are deliberate in one file, with why.

--longest N prints the N longest functions in the function-length scope,
so the limit can be judged against what the code really needs.
"""

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys

MAX_FUNCTION_LINES = 100

# Per-file shellcheck codes that are intended there; keep each one explained.
SHELLCHECK_EXCLUDE = {
    # Constants defined for the case files that source the harness.
    "tests/integration/harness.sh": ["SC2034"],
    # `$(user_prefix USER)` expands to a command prefix ("setpriv ... --") and
    # must split into words.
    "tests/integration/cases/60-lifecycle.sh": ["SC2046"],
    "tests/integration/cases/70-polkit.sh": ["SC2046"],
    # MODE=exec is a string, not a misspelt command substitution.
    "tests/integration/run.sh": ["SC2209"],
}

# The daemon's layers, bottom to top (issue 11): a file may include headers of
# its own layer or a lower one. Every new daemon module must be added here.
DAEMON_LAYERS = [
    # Leaves: helpers and plain records; nothing of calls, devices or the bus.
    ("leaf", ["util", "log", "list", "names", "types", "scope", "taint", "fwctl-ioctl", "deny-list",
              "raw-types", "plugin-loader", "device-identity", "device-type", "audit", "policy", "rpc-exchange", "memfd-stock",
              "shares", "metrics", "hashmap"]),
    # Mechanisms that own their state and report through a callback.
    ("mechanism", ["worker", "polkit", "udev-watch"]),
    # The domain: devices, calls and the plugins' fwctld_* ABI.
    ("domain", ["device", "call", "plugin-api", "session"]),
    # The engine: owns devices and calls, runs the pipeline; no D-Bus.
    ("manager", ["manager"]),
    # D-Bus: the only files that speak sd-bus, with polkit.c.
    ("bus", ["bus-caller", "bus-context", "bus-device", "bus-manager", "bus-metrics", "bus-session"]),
    ("main", ["main"]),
]
LAYER_OF = {m: (rank, name) for rank, (name, mods) in enumerate(DAEMON_LAYERS) for m in mods}

# Modules that may use sd-bus: the bus layer and polkit (it asks polkitd over D-Bus).
SD_BUS_MODULES = {"bus-caller", "bus-context", "bus-device", "bus-manager", "bus-metrics", "bus-session", "polkit"}
# The call engine: must not see sd-bus.h, not even through a header.
ENGINE_FILES = ["daemon/call.c", "daemon/device.c", "daemon/manager.c"]

# Non-static functions whose name a contract fixes, per file. "x_*" is a prefix.
# (main() needs no entry: it is main.c's own prefix.)
PREFIX_EXCEPTIONS = {
    # The plugin ABI: declared in include/fwctld/plugin.h, exported by
    # fwctld.dynlist; plugins link against these names.
    "daemon/plugin-api.c": ["fwctld_*"],
    # util.c mirrors systemd's basic/ helpers, named for what they do and
    # called from every layer (hexdump_to_string only from its unit test).
    # New util.c functions should not join this list.
    "daemon/util.c": ["errno_name", "hexdump_to_string"],
}

# Known violations of the prefix rule, found when the rule came in and left
# for whoever owns the file to rename. Delete an entry when it is renamed.
PREFIX_PENDING = {
    "daemon/plugin-loader.c": ["plugin_descriptor_check", "plugin_free", "plugin_load", "plugin_array_free",
                               "plugin_load_dir", "plugin_find"],
    "daemon/udev-watch.c": ["udev_action_to_string", "udev_action_from_string", "udev_find_fwctl_driver"],
    "daemon/worker.c": ["completions_new", "completions_free", "completions_wait"],
}

SELF_DIR = os.path.dirname(os.path.abspath(__file__))

SPDX_RE = re.compile(r"^/\* SPDX-License-Identifier: \S.* \*/$")
GOTO_RE = re.compile(r"\bgoto\b")
IOCTL_RE = re.compile(r"\bioctl\s*\(")
STRCMP_EQ_RE = re.compile(r"\bstrcmp\s*\(")
NOT_STRCMP_RE = re.compile(r"!\s*strcmp\s*\(")
FUNC_START_RE = re.compile(r"^[A-Za-z_][\w\s\*,()\[\]]*\(")
NOT_FUNC_RE = re.compile(r"^(typedef|struct\s+\w+\s*\{|enum\b|union\b|#)")
ATTRIBUTE_RE = re.compile(r"\b_\w+_\b(\s*\([^()]*\))?")
SD_BUS_RE = re.compile(r"\b(sd_bus\w*|SD_BUS_\w+)")
SD_BUS_INCLUDE = "systemd/sd-bus.h"


def in_dir(path, *prefixes):
    return any(path.startswith(p) for p in prefixes)


def blank_comments_and_strings(text):
    """Return (code, cxx_comment_lines): text with the contents of comments,
    string and character literals replaced by spaces (newlines kept, so line
    numbers hold), and the 1-based lines where a // comment starts."""
    out = []
    cxx = []
    i = 0
    n = len(text)
    line = 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            out.append(c)
            i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            chunk = text[i:end]
            out.append(re.sub(r"[^\n]", " ", chunk))
            line += chunk.count("\n")
            i = end
        elif text.startswith("//", i):
            cxx.append(line)
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out), cxx


def functions(code_lines):
    """Yield (name, start_line, body_lines, is_static) for every function
    definition."""
    i = 0
    n = len(code_lines)
    while i < n:
        line = code_lines[i]
        if not FUNC_START_RE.match(line) or NOT_FUNC_RE.match(line) or "=" in line.split("(")[0]:
            i += 1
            continue
        start = i
        sig = line
        while not sig.rstrip().endswith("{") and not sig.rstrip().endswith(";") and i + 1 < n:
            i += 1
            sig = code_lines[i]
            if sig.strip() == "" or sig.startswith("}"):
                break
        if not sig.rstrip().endswith("{"):
            i += 1
            continue
        open_line = i
        i += 1
        while i < n and not code_lines[i].startswith("}"):
            i += 1
        sig = ATTRIBUTE_RE.sub(" ", " ".join(code_lines[start:open_line + 1]))
        m = re.search(r"(\w+)\s*\(", sig)
        name = m.group(1) if m else "?"
        is_static = bool(m and re.search(r"\bstatic\b", sig[: m.start()]))
        yield name, start + 1, i - open_line - 1, is_static
        i += 1


def strcmp_compared_to_zero(line):
    """True if some strcmp(...) on the line is followed by == 0 or != 0."""
    for m in STRCMP_EQ_RE.finditer(line):
        depth, i = 1, m.end()
        while i < len(line) and depth:
            depth += {"(": 1, ")": -1}.get(line[i], 0)
            i += 1
        if depth == 0 and re.match(r"\s*[!=]=\s*0\b", line[i:]):
            return True
    return False


def function_length_scope(path):
    if in_dir(path, "tests/unit/", "tests/fuzz/") or re.match(r"plugins/[^/]+/tests/", path):
        return False
    return in_dir(path, "daemon/", "plugins/", "tools/", "tests/emulator/", "tests/integration/", "bench/")


def check_c(path, text, report, longest):
    raw_lines = text.split("\n")
    if not raw_lines or not SPDX_RE.match(raw_lines[0]):
        report(path, 1, "spdx", "first line must be /* SPDX-License-Identifier: ... */")

    code, cxx = blank_comments_and_strings(text)
    code_lines = code.split("\n")

    if not in_dir(path, "tests/"):
        for ln in cxx:
            report(path, ln, "cxx-comment", "use /* */ comments, not //")

    for ln, (raw, line) in enumerate(zip(raw_lines, code_lines), start=1):
        if re.match(r"^ *\t", raw):
            report(path, ln, "indent", "tab used for indentation; indent with 8 spaces")
        if GOTO_RE.search(line):
            report(path, ln, "goto", raw.strip())
        if in_dir(path, "plugins/") and IOCTL_RE.search(line):
            report(path, ln, "ioctl", "plugins do no I/O; use the daemon's helpers: " + raw.strip())
        if in_dir(path, "daemon/", "tools/") and not re.match(r"^\s*#\s*define\s+streq\b", line):
            if NOT_STRCMP_RE.search(line) or strcmp_compared_to_zero(line):
                report(path, ln, "streq", "use streq() / !streq(): " + raw.strip())

    if function_length_scope(path):
        for name, ln, length, _ in functions(code_lines):
            longest.append((length, path, ln, name))
            if length > MAX_FUNCTION_LINES:
                report(path, ln, "function-length",
                       f"{name}() is {length} lines, limit {MAX_FUNCTION_LINES}")


def load_include_graph():
    """scripts/include-graph.py as a module (its name is not importable)."""
    spec = importlib.util.spec_from_file_location("include_graph", os.path.join(SELF_DIR, "include-graph.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def line_in_self(needle):
    """The line of this script where needle first appears, to point at a table entry."""
    with open(os.path.join(SELF_DIR, "check-source.py"), encoding="utf-8") as f:
        for ln, line in enumerate(f, start=1):
            if needle in line:
                return ln
    return 1


def check_layering(graph, texts, report):
    """texts: tracked daemon files, path -> contents."""
    modules, edges = graph.build_graph({os.path.basename(p): t for p, t in texts.items()})

    for m in sorted(modules - LAYER_OF.keys()):
        path = min(p for p in texts if graph.module_of(p) == m)
        layers = ", ".join(name for name, _ in DAEMON_LAYERS)
        report(path, 1, "layering",
               f"module '{m}' has no layer: add it to DAEMON_LAYERS in scripts/check-source.py ({layers})")
    for m in sorted(LAYER_OF.keys() - modules):
        if not any(os.path.exists(f"daemon/{m}{ext}") for ext in (".c", ".h")):
            report("scripts/check-source.py", line_in_self(f'"{m}"'), "layering",
                   f"DAEMON_LAYERS lists '{m}', but there is no daemon/{m}.c or daemon/{m}.h: remove it")

    for src in sorted(edges):
        for dst in sorted(edges[src]):
            if src in LAYER_OF and dst in LAYER_OF and LAYER_OF[dst][0] > LAYER_OF[src][0]:
                for f, ln in edges[src][dst]:
                    report(f"daemon/{f}", ln, "layering",
                           f'{f} ({LAYER_OF[src][1]} layer) includes "{dst}.h" ({LAYER_OF[dst][1]} layer); '
                           "a file may include only headers of its own layer or lower ones")

    for group, cycle in graph.cycles(modules, edges):
        # A cycle across layers has an upward include, reported above.
        if len({LAYER_OF.get(m, m) for m in group}) > 1 and all(m in LAYER_OF for m in group):
            continue
        f, ln = edges[cycle[0]][cycle[1]][0]
        report(f"daemon/{f}", ln, "layering",
               f"include cycle {' -> '.join(cycle)} (among {' '.join(group)}); "
               "same-layer includes are allowed, cycles are not")


def sd_bus_chain(graph, header, texts, seen):
    """The daemon headers from header to one that includes sd-bus.h, or None."""
    path = "daemon/" + header
    if path not in texts or header in seen:
        return None
    seen.add(header)
    for _, inc, quoted in graph.parse_includes(texts[path]):
        if inc == SD_BUS_INCLUDE:
            return [header]
        chain = sd_bus_chain(graph, inc, texts, seen) if quoted else None
        if chain:
            return [header] + chain
    return None


def check_sd_bus(graph, texts, report):
    for path, text in sorted(texts.items()):
        if graph.module_of(path) in SD_BUS_MODULES:
            continue
        why = "outside the bus layer; only bus-*.[ch] and polkit.c use sd-bus"
        for ln, inc, _ in graph.parse_includes(text):
            if inc == SD_BUS_INCLUDE:
                report(path, ln, "sd-bus", f"<{inc}> {why}")
        code, _ = blank_comments_and_strings(text)
        for ln, line in enumerate(code.split("\n"), start=1):
            m = SD_BUS_RE.search(line)
            if m:
                report(path, ln, "sd-bus", f"{m.group(1)} {why}")

    for path in ENGINE_FILES:
        for ln, inc, quoted in graph.parse_includes(texts.get(path, "")):
            chain = sd_bus_chain(graph, inc, texts, set()) if quoted else None
            if chain:
                report(path, ln, "sd-bus", f"{' -> '.join(chain)} -> <{SD_BUS_INCLUDE}>: "
                       "the call engine must not see sd-bus, not even through a header")
                break


def name_matches(entry, name):
    return name.startswith(entry[:-1]) if entry.endswith("*") else name == entry


def check_prefixes(texts, report):
    defined = {}
    for path, text in sorted(texts.items()):
        if not path.endswith(".c"):
            continue
        prefix = os.path.basename(path)[:-2].replace("-", "_")
        listed = PREFIX_EXCEPTIONS.get(path, []) + PREFIX_PENDING.get(path, [])
        code, _ = blank_comments_and_strings(text)
        defined[path] = set()
        for name, ln, _, is_static in functions(code.split("\n")):
            if is_static:
                continue
            defined[path].add(name)
            if name == prefix or name.startswith(prefix + "_") or any(name_matches(e, name) for e in listed):
                continue
            report(path, ln, "prefix",
                   f"{name}() is not static and does not start with {prefix}_: rename it or make it static "
                   "(PREFIX_EXCEPTIONS in scripts/check-source.py is only for names a contract fixes)")

    for table, entries in (("PREFIX_EXCEPTIONS", PREFIX_EXCEPTIONS), ("PREFIX_PENDING", PREFIX_PENDING)):
        for path, names in entries.items():
            if path not in defined and os.path.exists(path):
                continue  # not tracked yet: nothing to judge
            for e in names:
                if not any(name_matches(e, n) for n in defined.get(path, ())):
                    report("scripts/check-source.py", line_in_self(f'"{e}"'), "prefix",
                           f"{table} lists {e} for {path}, which defines no such non-static function: "
                           "remove the entry")


def check_daemon(texts, report):
    graph = load_include_graph()
    check_layering(graph, texts, report)
    check_sd_bus(graph, texts, report)
    check_prefixes(texts, report)


def check_sh(path, report):
    r = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
    if r.returncode != 0:
        for msg in r.stderr.strip().splitlines() or ["bash -n failed"]:
            m = re.match(r"^[^:]+: line (\d+): (.*)$", msg)
            if m:
                report(path, int(m.group(1)), "bash-n", m.group(2))
            else:
                report(path, 1, "bash-n", msg)


def check_shellcheck(paths, report):
    if not paths or not shutil.which("shellcheck"):
        return False
    groups = {}
    for p in paths:
        groups.setdefault(tuple(SHELLCHECK_EXCLUDE.get(p, [])), []).append(p)
    for exclude, group in sorted(groups.items()):
        cmd = ["shellcheck", "-S", "warning", "-f", "gcc", "-x"]
        if exclude:
            cmd += ["-e", ",".join(exclude)]
        r = subprocess.run(cmd + group, capture_output=True, text=True)
        for msg in r.stdout.splitlines():
            m = re.match(r"^(.+?):(\d+):\d+: \w+: (.*)$", msg)
            if m:
                report(m.group(1), int(m.group(2)), "shellcheck", m.group(3))
        if r.returncode not in (0, 1):
            report(group[0], 1, "shellcheck", "shellcheck failed: " + r.stderr.strip())
    return True


def main():
    parser = argparse.ArgumentParser(
        description="Check fwctld's house rules on every tracked *.c, *.h and *.sh file.",
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--longest", type=int, metavar="N", default=0,
                        help="also print the N longest functions")
    parser.add_argument("--no-shellcheck", action="store_true",
                        help="skip shellcheck even if it is installed")
    args = parser.parse_args()

    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                         text=True, check=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    os.chdir(top.stdout.strip())
    files = subprocess.run(["git", "ls-files", "-z", "--", "*.c", "*.h", "*.sh"],
                           capture_output=True, text=True, check=True).stdout.split("\0")
    files = sorted(f for f in files if f and os.path.exists(f))

    violations = []

    def report(path, line, rule, text):
        violations.append(f"{path}:{line}: {rule}: {text}")

    longest = []
    shell = []
    daemon = {}
    for path in files:
        if path.endswith(".sh"):
            shell.append(path)
            check_sh(path, report)
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        check_c(path, text, report, longest)
        if re.match(r"daemon/[^/]+\.[ch]$", path):
            daemon[path] = text
    check_daemon(daemon, report)

    if not args.no_shellcheck and not check_shellcheck(shell, report):
        print("check-source: shellcheck not installed, shell scripts only parsed with bash -n",
              file=sys.stderr)

    if args.longest:
        longest.sort(key=lambda t: (-t[0], t[1], t[2]))
        print(f"longest functions (limit {MAX_FUNCTION_LINES}):")
        for length, path, ln, name in longest[: args.longest]:
            print(f"  {length:4d}  {path}:{ln}: {name}()")

    for v in violations:
        print(v)
    if violations:
        print(f"check-source: {len(violations)} violation(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
