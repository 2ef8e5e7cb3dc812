#!/bin/sh
# SPDX-License-Identifier: MIT
# `make run-bochs`: run Bochs on DIR/bochsrc and show its serial console
# (DIR/serial.log) live. Bochs runs in its own session with its term display
# sent to DIR/bochs.out; it ignores SIGTERM, so it is stopped with SIGKILL
# when this script ends (Ctrl-C) or when Bochs exits by itself.
#
#   boot/run-bochs.sh DIR
set -u
dir=$1
cd "$dir" || exit 1
: > serial.log
printf 'c\nquit\n' > bochs.rc	# run; return here only at a magic breakpoint (exit=bochs)
# A background job of a non-interactive shell is no group leader, so setsid
# does not fork: $! is Bochs and its process group.
TERM=xterm setsid "${BOCHS:-bochs}" -q -f bochsrc -rc bochs.rc </dev/null >bochs.out 2>&1 &
pid=$!
trap 'kill -KILL "-$pid" 2>/dev/null' EXIT	# dash's kill has no --
trap 'exit 130' INT TERM HUP
echo "run-bochs: serial console of $dir (Ctrl-C stops Bochs; its log: $dir/bochs.log)"
tail -n +1 -f --pid="$pid" serial.log
wait "$pid"
status=$?
echo
echo "run-bochs: Bochs exited with status $status"
exit "$status"
