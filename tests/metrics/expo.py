#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Normalise Prometheus text exposition for comparison (tests/metrics).

    expo.py PREFIX < exposition      one line per sample whose name starts with PREFIX:
                                     name{label="value",...} value, labels sorted by
                                     name, values as Python's repr(float), so that the
                                     same sample written by fwctlctl and re-served by
                                     node_exporter (labels reordered, Go's float format)
                                     compare equal. Sorted. Comments are skipped.

Label values are unescaped and re-escaped, so an escaping difference shows up. A line
that does not parse is printed as "UNPARSED: <line>" (and the exit status is 1).
"""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n' else m.group(1), v)


def escape(v):
    return v.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def labels_of(text):
    out, pos = [], 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        if not m:
            raise ValueError(text[pos:])
        out.append((m.group(1), unescape(m.group(2))))
        pos = m.end()
    return sorted(out)


def main():
    prefix = sys.argv[1] if len(sys.argv) > 1 else ''
    lines, bad = [], False
    for line in sys.stdin.read().split('\n'):
        if not line.strip() or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        try:
            if not m:
                raise ValueError(line)
            if not m.group(1).startswith(prefix):
                continue
            labels = labels_of(m.group(3) or '')
            value = float(m.group(4))
        except ValueError:
            lines.append('UNPARSED: ' + line)
            bad = True
            continue
        body = ','.join('%s="%s"' % (k, escape(v)) for k, v in labels)
        lines.append('%s{%s} %r' % (m.group(1), body, value))
    for line in sorted(lines):
        print(line)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
