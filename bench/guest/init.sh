#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the runtime and benchmark guests.  The host writes what this
# guest runs into /etc/guest.conf (shell variables, listed below) and the
# dumbprobe command lines into /etc/probes (tests) or /etc/bench
# (benchmarks).  Everything the host reads comes out on the console, framed
# by marker lines: "$MARK <key> <value>" for single facts, and
# "$MARK begin <name>" ... "$MARK end <name>" around a section.  The last
# line is "$MARK done"; then the guest powers off.
#
#   MODE        test or bench
#   DRIVER      the DRM driver the tests use (empty: none)
#   SETUP       a shell command run once the driver's card is there
#   KSELFTESTS  the kselftest programs in /tests to run
#   FBDEV       1: check fbdev emulation's buffer before the tests
#   MODETEST    1: set a mode with libdrm's modetest
#   IGT         the IGT test programs to run
#   LEAKSCAN    1: let kmemleak scan after the tests
#   LIBS        LD_LIBRARY_PATH for the programs of Debian packages

/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp

MARK=@@@dumb-kmap@@@
. /etc/guest.conf
IGT_BIN=/usr/libexec/igt-gpu-tools
[ -n "$LIBS" ] && export LD_LIBRARY_PATH="$LIBS"

mark() {
	echo "$MARK $*"
}

section() {
	echo "$MARK begin $1"
	cat "$2"
	echo "$MARK end $1"
}

mark up "$(uname -r)"

# The card of the guest's driver, waited for up to 10 s.  debugfs names
# each DRM device's directory by its minor and by its device's name: only
# the minors are cards.
card=
i=0
while [ -n "$DRIVER" ] && [ $i -lt 100 ]; do
	for d in /sys/kernel/debug/dri/*; do
		case ${d##*/} in
		*[!0-9]*) continue ;;
		esac
		if [ "$(cut -d' ' -f1 "$d/name" 2>/dev/null)" = "$DRIVER" ]; then
			card=${d##*/}
			break 2
		fi
	done
	sleep 0.1
	i=$((i + 1))
done
mark dri "$(ls /dev/dri 2>/dev/null | tr '\n' ' ')"
for d in /sys/kernel/debug/dri/*; do
	case ${d##*/} in
	*[!0-9]*) ;;
	*) cut -d' ' -f1 "$d/name" ;;
	esac
done 2>/dev/null | sort -u > /tmp/drivers
mark drivers "$(tr '\n' ' ' < /tmp/drivers)"
if [ -n "$card" ]; then
	export DRM_DEVICE=/dev/dri/card$card
	mark driver "$DRIVER $DRM_DEVICE"
else
	mark driver "none"
fi

[ -n "$SETUP" ] && eval "$SETUP"
: > /tmp/probe.log

# fbdev emulation: wait for fb0, then report what debugfs says about the
# kernel mapping of the framebuffers there are now (only fbdev's: no test
# has run yet) and whether 64 KiB written to fb0 (through the fbdev
# buffer's kernel mapping) read back the same.
fbdev_probe() {
	i=0
	while [ ! -e /dev/fb0 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	maps=$(sed -n 's/.*kernel_mapping=//p' \
		"/sys/kernel/debug/dri/$card/framebuffer" 2>/dev/null |
		sort -u | tr '\n' ',')
	dd if=/dev/urandom of=/tmp/pattern bs=4096 count=16 2>/dev/null
	dd if=/tmp/pattern of=/dev/fb0 bs=4096 count=16 2>/dev/null
	dd if=/dev/fb0 of=/tmp/readback bs=4096 count=16 2>/dev/null
	if [ ! -e /dev/fb0 ]; then
		rb=no-fb0
	elif cmp -s /tmp/pattern /tmp/readback; then
		rb=same
	else
		rb=different
	fi
	echo "dumbprobe: fbdev kernel_mapping=${maps:-none} readback=$rb"
}

# libdrm's modetest sets the first mode of the first connected connector
# with its test pattern in a dumb buffer, then (stdin at its end) restores
# and exits: KMS on a userspace buffer.
modetest_probe() {
	conn=$(modetest -M "$DRIVER" -c 2>/dev/null |
		awk '$3 == "connected" { print $1; exit }')
	modetest -M "$DRIVER" -s "$conn:#0" < /dev/null > /tmp/modetest.log 2>&1
	rc=$?
	grep -q '^setting mode' /tmp/modetest.log && set=yes || set=no
	echo "dumbprobe: modetest connector=${conn:-none} rc=$rc set=$set"
	sed 's/^/modetest: /' /tmp/modetest.log | head -20
}

run_tests() {
	[ "$FBDEV" = 1 ] && fbdev_probe >> /tmp/probe.log
	dmesg -c > /tmp/boot.log
	for t in $KSELFTESTS; do
		/tests/$t > /tmp/kselftest-$t.log 2>&1
		mark kselftest "$t exit $?"
	done
	while read -r args; do
		[ -n "$args" ] || continue
		# shellcheck disable=SC2086
		/tests/dumbprobe $args >> /tmp/probe.log 2>&1
		mark probe "$args exit $?"
	done < /etc/probes
	[ "$MODETEST" = 1 ] && modetest_probe >> /tmp/probe.log
	for t in $IGT; do
		"$IGT_BIN/$t" --list-subtests > /tmp/igt-list-$t.log 2>&1
		IGT_FORCE_DRIVER=$DRIVER "$IGT_BIN/$t" > /tmp/igt-$t.log 2>&1
		mark igt "$t exit $?"
	done
	if [ "$LEAKSCAN" = 1 ]; then
		# An object must be unreferenced for two scans to be reported.
		sleep 5
		echo scan > /sys/kernel/debug/kmemleak
		sleep 5
		echo scan > /sys/kernel/debug/kmemleak
	fi
	dmesg > /tmp/test.log
	for t in $KSELFTESTS; do
		section "kselftest-$t" "/tmp/kselftest-$t.log"
	done
	for t in $IGT; do
		section "igt-list-$t" "/tmp/igt-list-$t.log"
		section "igt-$t" "/tmp/igt-$t.log"
	done
	section probe /tmp/probe.log
	section boot-log /tmp/boot.log
	section test-log /tmp/test.log
}

run_bench() {
	dmesg -c > /dev/null
	: > /tmp/bench.log
	while read -r args; do
		[ -n "$args" ] || continue
		# shellcheck disable=SC2086
		/tests/dumbprobe $args >> /tmp/bench.log 2>&1
		mark probe "$args exit $?"
	done < /etc/bench
	mem=$(awk '/^(MemTotal|HighTotal|CmaTotal|VmallocTotal):/ {
		printf "%s=%s ", $1, $2 }' /proc/meminfo | tr -d :)
	echo "dumbprobe: meminfo $mem" >> /tmp/bench.log
	dmesg > /tmp/test.log
	section bench /tmp/bench.log
	section test-log /tmp/test.log
}

if [ "$MODE" = bench ]; then
	run_bench
else
	run_tests
fi
mark done
poweroff -f
