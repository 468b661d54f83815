#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run emu-selftest under fwctl-emu with one device of each type (the sample
# type included), in a private TMPDIR so a killed testbed leaves nothing behind.
# usage: run-selftest.sh UMOCKDEV_WRAPPER FWCTL_EMU EMU_SELFTEST
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/fwctl-emu-test.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo 0 > "$dir/tainted"
# The self-test provokes kernel memory-safety faults on purpose and checks each
# one lands in this log (see README.md, "Detected faults").
export FWCTL_EMU_FAULT_LOG="$dir/faults"
TMPDIR=$dir "$1" "$2" --control "$dir/control" --taint-file "$dir/tainted" \
        --device mlx5@0000:03:00.0 --device cxl@0000:0d:00.0 \
        --device bnxt@0000:05:00.0 --device pds@0000:06:00.1 \
        --device sample@0000:08:00.0 \
        -- "$3" "$dir/control" "$dir/tainted"
