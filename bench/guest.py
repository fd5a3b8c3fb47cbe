# SPDX-License-Identifier: GPL-2.0
"""QEMU guests for the runtime stage: kernels, initramfs, launcher, logs.

A guest is a machine QEMU emulates plus a kernel configuration
(configs/guest-<name>.config on top of tinyconfig) and the DRM driver the
tests use there.  For each guest the workbench builds two kernels, one
after the other in one cached build tree, from the base and from the base
with the series applied, and one initramfs: busybox, an /init script and
the series' kselftest (linked statically, built from the patched tree, run on both
kernels).  The guest runs the tests, prints their output and the kernel
log between marker lines on its serial console, and powers off; the host
reads them back from the console log.
"""

import hashlib
import os
import re
import select
import shutil
import subprocess
import time

import base
from check_build import lost_options
from common import CACHE, CONFIGS, Failure, Timer, run, say

# A guest's kernel is tinyconfig plus its fragments from configs/, in order.
# 'driver' is the DRM driver the tests run on (None: 'absent' names a driver
# that must not bind), 'probe' the dumbprobe runs after the kselftests,
# 'base_oops' a pattern the base kernel's console must show when it is
# expected to oops, 'patched_log' one the patched kernel's must show.
# 'fixed' lists kernel reports the series fixes: the patched kernel fails
# on them even though the base prints them too.
EXYNOS_FIXED = [
    (r'mm/page_alloc\.c:\d+ at __alloc',
     'page allocator warning when userspace exhausts CMA (patch 3, and the '
     'helpers\' __GFP_NOWARN)'),
    (r'dma-buf\.c:\d+ at dma_buf_vmap',
     'vmap of an Exynos buffer by a PRIME importer (GEM DMA helpers)'),
]
# What every smdkc210 (Exynos4210) guest shares: the machine, its console
# (the second UART), the test device tree.
SMDKC210 = {
    'karch': 'arm', 'cross': 'arm-linux-gnueabihf-', 'debarch': 'armhf',
    'image': 'arch/arm/boot/zImage', 'dts': 'guest-arm-exynos.dts',
    'console': 'ttySAC1',
    'qemu': ['qemu-system-arm', '-machine', 'smdkc210',
             '-serial', 'null', '-serial', 'mon:stdio'],
    'timeout': 240,
}

GUESTS = {
    'x86_64-vkms': {
        'karch': 'x86_64', 'cross': '', 'debarch': 'amd64',
        'image': 'arch/x86/boot/bzImage', 'dts': None,
        'configs': ['guest-x86_64-vkms.config'],
        'driver': 'vkms', 'console': 'ttyS0', 'probe': [],
        'igt': ['dumb_buffer', 'kms_addfb_basic'],
        'qemu': ['qemu-system-x86_64', '-machine', 'q35', '-cpu', 'max',
                 '-m', '512', '-smp', '2', '-nic', 'none'],
        'timeout': 240,
    },
    'arm-vexpress': {
        'karch': 'arm', 'cross': 'arm-linux-gnueabihf-', 'debarch': 'armhf',
        'image': 'arch/arm/boot/zImage', 'dts': 'guest-arm-vexpress.dts',
        'configs': ['guest-arm-vexpress.config'],
        'driver': 'pl111', 'console': 'ttyAMA0',
        'probe': ['prime', 'exhaust 1920 1080'], 'modetest': True,
        'qemu': ['qemu-system-arm', '-machine', 'vexpress-a9', '-m', '512'],
        'timeout': 240,
    },
    # The Exynos DRM driver on FIMD.  Its kernel also has VIDI (left
    # disconnected here) and fbdev emulation, for the next guest; fbdev is
    # off on the command line: QEMU's FIMD raises no vblank interrupt, so
    # every commit waits 10 s and ends in "flip_done timed out" and a
    # WARNING, and fbdev would restore its mode with such a commit whenever
    # a test closes the device.  The kselftests make no commit of their own.
    'arm-exynos': dict(
        SMDKC210,
        configs=['guest-arm-exynos.config', 'guest-arm-exynos-fimd.config',
                 'guest-arm-exynos-vidi.config'],
        append='drm_kms_helper.fbdev_emulation=0', fbdev_off=True,
        driver='exynos', probe=['prime', 'import', 'exhaust 1920 1080'],
        fixed=EXYNOS_FIXED),
    # The same kernel on a device tree without FIMD: the Exynos DRM driver
    # with its virtual display, VIDI, alone.  Commits complete (timer
    # vblanks), so fbdev emulation runs.  The test connects the display,
    # which starts fbdev, checks the fbdev buffer, then runs the kselftests
    # with fbdev restoring its mode whenever a test closes the device.
    'arm-exynos-vidi': dict(
        SMDKC210, kernel='arm-exynos', dts='guest-arm-exynos-vidi.dts',
        configs=['guest-arm-exynos.config', 'guest-arm-exynos-fimd.config',
                 'guest-arm-exynos-vidi.config'],
        driver='exynos', probe=['prime', 'import'], fixed=EXYNOS_FIXED,
        setup='echo 1 > /sys/devices/platform/exynos-drm-vidi/connection',
        fbdev=True, modetest=True),
    # The same machine with the Exynos SYSMMU driver: FIMD has no IOMMU in
    # the test device tree, so the base oopses in exynos_drm_bind(); with
    # the series, FIMD fails to bind and the system boots without Exynos.
    'arm-exynos-iommu': dict(
        SMDKC210,
        configs=['guest-arm-exynos.config', 'guest-arm-exynos-fimd.config',
                 'guest-arm-exynos-iommu.config'],
        driver=None, absent='exynos', probe=[],
        base_oops=r'PC is at __arm_iommu_attach_device',
        patched_log=r'failed to bind \S+\.fimd .*: -19'),
}

# The debug variant of a guest (full tier): the same machine and tests on
# kernels with KASAN, kmemleak, lockdep, DEBUG_VM and DMA API debugging,
# base and patched alike; slower, so with more time.
for _name in ('x86_64-vkms', 'arm-vexpress', 'arm-exynos', 'arm-exynos-vidi'):
    GUESTS[_name + '-debug'] = dict(
        GUESTS[_name], configs=GUESTS[_name]['configs'] +
        ['guest-debug.config'], debug=True,
        kernel=GUESTS[_name].get('kernel', _name) + '-debug',
        timeout=3 * GUESTS[_name]['timeout'])

# For the benchmarks only (make bench): the same machines with HIGHMEM and
# CMA placed in highmem (cma=size@base), where the DMA layer can only give
# a buffer a kernel mapping through the vmalloc area, so what a mapping
# costs shows.  vexpress-a9 gets 1 GiB (at 0x60000000), smdkc210 has 1 GiB
# (at 0x40000000); with the 3G/1G split lowmem ends about 760 MiB in.  On
# smdkc210 the device tree reserves 0x7d400000 up for the MFC, so CMA sits
# below that.
GUESTS['arm-vexpress-highmem'] = dict(
    GUESTS['arm-vexpress'],
    configs=GUESTS['arm-vexpress']['configs'] + ['guest-arm-highmem.config'],
    qemu=['qemu-system-arm', '-machine', 'vexpress-a9', '-m', '1024'],
    append='cma=96M@0x98000000')
GUESTS['arm-exynos-highmem'] = dict(
    GUESTS['arm-exynos'],
    configs=GUESTS['arm-exynos']['configs'] + ['guest-arm-highmem.config'],
    append=GUESTS['arm-exynos']['append'] + ' cma=96M@0x72000000')

# The series' kselftests, each printing TAP: every guest runs the first,
# the Exynos guests all of them (exynos_gem skips elsewhere).
KSELFTESTS = ('dumb_buffers', 'exynos_gem')


def kselftests(guest):
    return KSELFTESTS if GUESTS[guest]['driver'] == 'exynos' \
        else KSELFTESTS[:1]

MARK = '@@@dumb-kmap@@@'

# libdrm's modetest sets the first mode of the first connected connector
# with its test pattern in a dumb buffer, then (stdin at its end) restores
# and exits: KMS on a userspace buffer without a kernel mapping.
MODETEST = r'''conn=$(modetest -M %(driver)s -c 2>/dev/null | awk '$3 == "connected" {print $1; exit}')
modetest -M %(driver)s -s "$conn:#0" < /dev/null > /tmp/modetest.log 2>&1
rc=$?
grep -q '^setting mode' /tmp/modetest.log && set=yes || set=no
echo "dumbprobe: modetest connector=${conn:-none} rc=$rc set=$set" >> /tmp/probe.log
sed 's/^/modetest: /' /tmp/modetest.log | head -20 >> /tmp/probe.log
'''

# Debug variants: let kmemleak look for objects the tests leaked (an object
# must be unreferenced for two scans, a few seconds apart, to be reported).
LEAKSCAN = '''sleep 5
echo scan > /sys/kernel/debug/kmemleak
sleep 5
echo scan > /sys/kernel/debug/kmemleak
'''

# Run where fbdev emulation is on: wait for fb0, then report what debugfs
# says about the kernel mapping of the framebuffers there are now (only
# fbdev's: no test has run yet) and whether 64 KiB written to fb0 (through
# the fbdev buffer's kernel mapping) read back the same.
FBDEV = r'''i=0
while [ ! -e /dev/fb0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
maps=$(sed -n 's/.*kernel_mapping=//p' /sys/kernel/debug/dri/$card/framebuffer 2>/dev/null | sort -u | tr '\n' ',')
dd if=/dev/urandom of=/tmp/pattern bs=4096 count=16 2>/dev/null
dd if=/tmp/pattern of=/dev/fb0 bs=4096 count=16 2>/dev/null
dd if=/dev/fb0 of=/tmp/readback bs=4096 count=16 2>/dev/null
if cmp -s /tmp/pattern /tmp/readback; then rb=same; else rb=different; fi
[ -e /dev/fb0 ] || rb=no-fb0
echo "dumbprobe: fbdev kernel_mapping=${maps:-none} readback=$rb" >> /tmp/probe.log
'''
GUEST_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'guest')
LOGS = os.path.join(CACHE, 'logs')

# What both /init scripts start with: busybox, the file systems, and the
# card of the guest's driver, waited for up to 10 s (the tests use it).
PROLOGUE = r'''#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
echo "%(mark)s up $(uname -r)"
drv="%(driver)s"
card=
i=0
while [ $i -lt 100 ]; do
	for d in /sys/kernel/debug/dri/*; do
		if [ "$(cut -d' ' -f1 $d/name 2>/dev/null)" = "$drv" ]; then
			card=${d##*/}
			break 2
		fi
	done
	sleep 0.1
	i=$((i+1))
done
'''

INIT = PROLOGUE + r'''ls /dev/dri > /tmp/dri 2>&1
echo "%(mark)s dri $(cat /tmp/dri | tr '\n' ' ')"
for d in /sys/kernel/debug/dri/[0-9]*; do cut -d' ' -f1 $d/name; done > /tmp/drivers 2>/dev/null
echo "%(mark)s drivers $(sort -u /tmp/drivers | tr '\n' ' ')"
if [ -n "$card" ]; then
	export DRM_DEVICE=/dev/dri/card$card
	echo "%(mark)s driver $drv"
else
	echo "%(mark)s driver $(cut -d' ' -f1 /sys/kernel/debug/dri/0/name 2>/dev/null)"
fi
%(setup)s
: > /tmp/probe.log
%(fbdev)s
dmesg -c > /tmp/boot.log
for t in %(kselftests)s; do
	/tests/$t > /tmp/$t.log 2>&1
	echo "%(mark)s kselftest $t exit $?"
done
%(probes)s
%(modetest)s
%(igt_run)s
%(leakscan)s
dmesg > /tmp/test.log
for t in %(kselftests)s; do
	echo "%(mark)s begin kselftest-$t"
	cat /tmp/$t.log
	echo "%(mark)s end kselftest-$t"
done
%(igt_print)s
echo "%(mark)s begin probe"
cat /tmp/probe.log
echo "%(mark)s end probe"
echo "%(mark)s begin boot-log"
cat /tmp/boot.log
echo "%(mark)s end boot-log"
echo "%(mark)s begin test-log"
cat /tmp/test.log
echo "%(mark)s end test-log"
echo "%(mark)s done"
poweroff -f
'''


# The benchmarks' /init: find the driver's card as the tests' /init does,
# run the benchmark lines, print what they printed and the kernel log.
BENCH_INIT = PROLOGUE + r'''[ -n "$card" ] && export DRM_DEVICE=/dev/dri/card$card
echo "%(mark)s driver $drv ${DRM_DEVICE:-none}"
%(setup)s
dmesg -c > /dev/null
: > /tmp/bench.log
%(bench)s
mem=$(awk '/^(MemTotal|HighTotal|CmaTotal|VmallocTotal):/ {
	printf "%%s=%%s ", $1, $2 }' /proc/meminfo | tr -d :)
echo "dumbprobe: meminfo $mem" >> /tmp/bench.log
echo "%(mark)s begin bench"
cat /tmp/bench.log
echo "%(mark)s end bench"
echo "%(mark)s begin test-log"
dmesg
echo "%(mark)s end test-log"
echo "%(mark)s done"
poweroff -f
'''

# Both kernels of a guest are built in one build tree, check/build-<kernel>,
# from the check tree (check/linux): first its base commit, then its HEAD,
# so the second build recompiles only what the series changes and what
# depends on it.  Guests that boot the same kernels name the same 'kernel'
# (default: the guest's own name).  Each variant's image is kept in the
# build tree's kernels/ with a stamp naming the source tree and the
# configuration it was built from; when both match, it is used again
# without running make.  ccache (with its base_dir at the cache) shares
# objects between build trees.
def kernel_name(guest):
    return GUESTS[guest].get('kernel', guest)


def build_dir(guest):
    return os.path.join(CACHE, 'check', 'build-' + kernel_name(guest))


def build_env():
    return {'CCACHE_DIR': os.path.join(CACHE, 'ccache'),
            'CCACHE_MAXSIZE': '20G', 'CCACHE_BASEDIR': CACHE,
            'CCACHE_NOHASHDIR': '1', 'KBUILD_BUILD_TIMESTAMP': '@0'}


def drop_old_layout(guest):
    """Remove the build trees and base checkouts of earlier layouts: the
    base kernels' own build trees and source checkout (guest/)."""
    for old in (os.path.join(CACHE, 'build', 'guest-%s-base' % guest),
                os.path.join(CACHE, 'build', 'guest-%s-patched' % guest),
                os.path.join(CACHE, 'guest', 'src-base'),
                os.path.join(CACHE, 'guest', 'build-' + guest)):
        shutil.rmtree(old, ignore_errors=True)
    old_src = os.path.join(CACHE, 'guest', 'linux')
    if os.path.isdir(old_src):
        shutil.rmtree(old_src, ignore_errors=True)
        run(['git', '--git-dir=' + os.path.join(CACHE, 'base', 'base.git'),
             'worktree', 'prune'], check=False)


def make_cmd(guest, tree, out, *targets):
    g = GUESTS[guest]
    return ['make', '-C', tree, '-j%d' % os.cpu_count(), 'O=' + out,
            'ARCH=' + g['karch'], 'CROSS_COMPILE=' + g['cross'],
            'CC=ccache %sgcc' % g['cross'], 'HOSTCC=ccache gcc'] + \
        list(targets)


def fragment(guest, out):
    """The guest's configuration fragments, joined into one file in out."""
    path = os.path.join(out, 'guest.config')
    with open(path, 'w', encoding='utf-8') as f:
        for name in GUESTS[guest]['configs']:
            with open(os.path.join(CONFIGS, name), encoding='utf-8') as part:
                f.write(part.read())
    return path


def kernel_stamp(guest, src):
    """What a kept kernel was built from: the source tree, the fragments,
    the compilers."""
    g = GUESTS[guest]
    parts = [src, g['image']] + [open(os.path.join(CONFIGS, n), 'rb').read(
        ).decode() for n in g['configs']]
    for cc in (g['cross'] + 'gcc', 'gcc'):
        parts.append(run([cc, '--version'], check=False)[1] or '')
    return hashlib.sha256('\0'.join(parts).encode()).hexdigest()


def kernel(guest, variant, tree):
    """The guest's kernel for variant: 'base' is the check tree's base
    commit, 'patched' its HEAD.  Returns the image, a copy kept in the build
    tree's kernels/."""
    g = GUESTS[guest]
    out = build_dir(guest)
    drop_old_layout(guest)
    rev = 'base' if variant == 'base' else 'HEAD'
    src = run(['git', '-C', tree, 'rev-parse', rev + '^{tree}'])[1].strip()
    keep = os.path.join(out, 'kernels')
    image = os.path.join(keep, '%s-%s' % (variant,
                                          os.path.basename(g['image'])))
    stamp_file = os.path.join(keep, variant + '.stamp')
    stamp = kernel_stamp(guest, src)
    if os.path.exists(stamp_file) and open(stamp_file).read() == stamp:
        say('    %s %s kernel: kept from an earlier run (same source tree '
            '%s and configuration)' % (kernel_name(guest), variant, src[:12]))
        return image
    head = run(['git', '-C', tree, 'rev-parse', 'HEAD'])[1].strip()
    os.makedirs(keep, exist_ok=True)
    os.makedirs(LOGS, exist_ok=True)
    try:
        if rev == 'base':
            run(['git', '-C', tree, 'checkout', '-q', '--detach', 'base'])
        frag = fragment(guest, out)
        run(make_cmd(guest, tree, out, 'tinyconfig',
                     'KCONFIG_ALLCONFIG=' + frag), env=build_env())
        lost = lost_options(frag, os.path.join(out, '.config'))
        if lost:
            raise Failure('configs/%s ask for options Kconfig did not keep: '
                          '%s' % (' + '.join(g['configs']), ', '.join(lost)))
        log = os.path.join(LOGS, 'guest-%s-%s-build.log' % (guest, variant))
        t0 = time.monotonic()
        code, _ = run(make_cmd(guest, tree, out,
                               os.path.basename(g['image'])),
                      env=build_env(), check=False, log=log)
        if code:
            raise Failure('%s kernel (%s) did not build; log %s' % (
                guest, variant, log))
        shutil.copy(os.path.join(out, g['image']), image)
        say('    %s %s kernel: built in %.0f s' % (
            kernel_name(guest), variant, time.monotonic() - t0))
    finally:
        if rev == 'base':
            run(['git', '-C', tree, 'checkout', '-q', '--detach', head])
    with open(stamp_file, 'w') as f:
        f.write(stamp)
    return image


def selftests(guest, tree):
    """The series' kselftests and dumbprobe, linked statically for the
    guest's arch against the patched tree's UAPI headers: {name: path}."""
    g = GUESTS[guest]
    hdr = os.path.join(build_dir(guest), 'usr', 'include')
    run(make_cmd(guest, tree, build_dir(guest), 'headers'),
        env=build_env())
    out = os.path.join(CACHE, 'build', 'guest-kselftest-' + guest)
    run(['make', '-C', os.path.join(tree, 'tools/testing/selftests'),
         'TARGETS=drm', 'ARCH=' + g['karch'], 'CROSS_COMPILE=' + g['cross'],
         'O=' + out, 'LDFLAGS=-static', 'KHDR_INCLUDES=-isystem ' + hdr])
    progs = {t: os.path.join(out, 'kselftest', 'drm', t)
             for t in kselftests(guest)}
    probe = os.path.join(out, 'dumbprobe')
    run([g['cross'] + 'gcc', '-static', '-O2', '-Wall', '-Wextra', '-Werror',
         '-isystem', hdr, '-o', probe, os.path.join(GUEST_SRC,
                                                    'dumbprobe.c')])
    progs['dumbprobe'] = probe
    return progs


def host_release():
    """The codename of the machine's Debian release, from /etc/os-release."""
    with open('/etc/os-release', encoding='utf-8') as f:
        m = re.search(r'^VERSION_CODENAME=(\S+)', f.read(), re.M)
    if not m:
        raise Failure('/etc/os-release names no VERSION_CODENAME')
    return m.group(1)


def debian_packages(arch, packages):
    """Debian packages of the machine's release for arch, unpacked (not
    installed: nothing runs on the host) into one directory of the cache,
    fetched from the machine's mirror through a private apt
    configuration.  Returns the directory."""
    top = os.path.join(CACHE, 'guest', '%s-%s' % ('+'.join(packages), arch))
    if os.path.isdir(top):
        return top
    env = base.apt_env(host_release(), os.path.join(CACHE, 'apt-' + arch),
                       arch)
    code, out = run(['apt-get', 'update'], env=env, check=False)
    if code or re.search(r'^(Err:|E: )', out or '', re.M):
        raise Failure('apt-get update for %s failed: is the network '
                      'down?\n%s' % (arch, (out or '')[-800:]))
    return unpack_packages(top, list(packages), env,
                           '%s for %s' % (' '.join(packages), arch))


def unpack_packages(top, packages, env, what):
    """Download packages with the apt configuration env and unpack them
    all into top (made only once everything is unpacked); return top."""
    tmp = top + '.partial'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    code, out = run(['apt-get', 'download'] + packages, cwd=tmp, env=env,
                    check=False)
    if code:
        raise Failure('apt-get download of %s failed:\n%s' % (
            what, (out or '')[-800:]))
    for deb in sorted(n for n in os.listdir(tmp) if n.endswith('.deb')):
        run(['dpkg-deb', '-x', os.path.join(tmp, deb),
             os.path.join(tmp, 'root')])
    os.rename(os.path.join(tmp, 'root'), top)
    shutil.rmtree(tmp, ignore_errors=True)
    return top


def busybox(guest):
    """A statically linked busybox for the guest's Debian architecture:
    the machine's own (package busybox-static) on amd64, the package of
    the machine's release from its mirror for other architectures."""
    arch = GUESTS[guest]['debarch']
    if arch == 'amd64':
        path = '/bin/busybox'
    else:
        path = os.path.join(debian_packages(arch, ['busybox-static']),
                            'bin', 'busybox')
    with open(path, 'rb') as f:
        if b'/ld-linux' in f.read(8192):
            raise Failure('%s is linked dynamically; the guest needs the one '
                          'from busybox-static' % path)
    return path


# libdrm's modetest and what it needs at run time, from Debian's packages.
MODETEST_PACKAGES = ['libc6', 'libdrm2', 'libdrm-tests']
MODETEST_FILES = [r'usr/bin/modetest$', r'lib/ld-linux[^/]*\.so\.\d+$',
                  r'lib/[^/]+-linux-gnu[^/]*/(ld-linux|libc|libm|libdrm)'
                  r'[^/]*\.so[.\d]*$']


def modetest_files(guest):
    """{path in the guest: path on the host} for modetest."""
    top = debian_packages(GUESTS[guest]['debarch'], MODETEST_PACKAGES)
    found = {}
    for dirpath, _, names in os.walk(top):
        for name in names:
            host = os.path.join(dirpath, name)
            rel = os.path.relpath(host, top)
            if any(re.search(pattern, rel) for pattern in MODETEST_FILES):
                found[rel] = host
    if not any(rel.endswith('bin/modetest') for rel in found):
        raise Failure('libdrm-tests for %s holds no modetest' %
                      GUESTS[guest]['debarch'])
    return found


# IGT GPU Tools, on the x86_64 guest: Debian builds IGT's test programs
# for amd64 only, in sid (igt-gpu-tools-tests).  The package and what it
# depends on are unpacked into the cache (nothing runs on the host); the
# initramfs gets the programs the guest runs, the shared libraries they
# load (followed from their ELF NEEDED entries) and sid's dynamic loader.
IGT_PACKAGE = 'igt-gpu-tools-tests'
IGT_BIN = 'usr/libexec/igt-gpu-tools'
IGT_LIBDIRS = ('usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu', 'usr/lib')
IGT_LOADER = 'lib64/ld-linux-x86-64.so.2'


def igt_root():
    """sid's IGT tests and their dependencies, unpacked; the directory."""
    top = os.path.join(CACHE, 'guest', 'igt-sid-amd64')
    if os.path.isdir(top):
        return top
    env = base.apt_env('sid', os.path.join(CACHE, 'apt-sid-amd64'), 'amd64')
    code, out = run(['apt-get', 'update'], env=env, check=False)
    if code or re.search(r'^(Err:|E: )', out or '', re.M):
        raise Failure('apt-get update for sid failed: is the network '
                      'down?\n%s' % (out or '')[-800:])
    code, out = run(['apt-cache', 'depends', '--recurse', '--no-recommends',
                     '--no-suggests', '--no-conflicts', '--no-breaks',
                     '--no-replaces', '--no-enhances', IGT_PACKAGE],
                    env=env, check=False)
    if code:
        raise Failure('apt-cache depends %s failed:\n%s' % (
            IGT_PACKAGE, (out or '')[-800:]))
    # Real packages only: virtual ones are listed as <name>, dependencies
    # indented, and apt's notes start with a capital and a colon.
    packages = sorted({line for line in out.splitlines()
                       if re.match(r'^[a-z0-9][a-z0-9+.-]*$', line)})
    if IGT_PACKAGE not in packages:
        raise Failure('sid has no %s for amd64:\n%s' % (IGT_PACKAGE,
                                                         out[-800:]))
    with Timer('fetch sid\'s %s and its %d dependencies' % (
            IGT_PACKAGE, len(packages) - 1)):
        return unpack_packages(top, packages, env,
                               'sid\'s %s for amd64' % IGT_PACKAGE)


def elf_needed(path):
    proc = subprocess.run(['readelf', '-d', path], capture_output=True,
                          text=True, check=False)
    return re.findall(r'\(NEEDED\).*\[(.*)\]', proc.stdout)


def igt_files(guest):
    """{path in the guest: path on the host} for the guest's IGT tests."""
    top = igt_root()
    found = {}
    todo = []
    for test in GUESTS[guest]['igt']:
        rel = os.path.join(IGT_BIN, test)
        if not os.path.exists(os.path.join(top, rel)):
            raise Failure('%s holds no %s' % (IGT_PACKAGE, rel))
        found[rel] = os.path.join(top, rel)
        todo.append(found[rel])
    seen = set()
    while todo:
        for soname in elf_needed(todo.pop()):
            if soname in seen:
                continue
            seen.add(soname)
            for libdir in IGT_LIBDIRS:
                host = os.path.join(top, libdir, soname)
                if os.path.exists(host):
                    host = os.path.realpath(host)
                    found[os.path.join('usr/lib/x86_64-linux-gnu',
                                       soname)] = host
                    todo.append(host)
                    break
            else:
                raise Failure('%s needs %s, which its dependencies do not '
                              'hold' % (IGT_PACKAGE, soname))
    for libdir in IGT_LIBDIRS:
        host = os.path.join(top, libdir, os.path.basename(IGT_LOADER))
        if os.path.exists(host):
            found[IGT_LOADER] = os.path.realpath(host)
            return found
    raise Failure('%s\'s dependencies hold no %s' % (
        IGT_PACKAGE, os.path.basename(IGT_LOADER)))


# Each IGT test runs on the guest's driver (IGT leaves vkms out unless told)
# and prints "Subtest <name>: SUCCESS|SKIP|FAIL|CRASH|TIMEOUT (<time>)".
IGT_RUN = r'''export IGT_FORCE_DRIVER=%(driver)s
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu
for t in %(tests)s; do
	/%(bin)s/$t > /tmp/igt-$t.log 2>&1
	echo "%(mark)s igt $t exit $?"
done
'''
IGT_PRINT = r'''for t in %(tests)s; do
	echo "%(mark)s begin igt-$t"
	cat /tmp/igt-$t.log
	echo "%(mark)s end igt-$t"
done
'''
IGT_SUBTEST = re.compile(r'^Subtest (\S+): (SUCCESS|SKIP|FAIL|CRASH|TIMEOUT)',
                         re.M)


def igt_results(test, text):
    """{igt.<test>.<subtest>: 'pass'|'fail'|'skip'} from IGT's output."""
    verdict = {'SUCCESS': 'pass', 'SKIP': 'skip'}
    return {'igt.%s.%s' % (test, sub): verdict.get(result, 'fail')
            for sub, result in IGT_SUBTEST.findall(text)}


def dtb(guest, tree):
    """Compile the guest's test device tree with the kernel's dtc, from the
    check tree at HEAD.  Both kernels boot with it: the series changes no
    device tree source, binding header or dtc (checked here)."""
    dts = GUESTS[guest]['dts']
    if not dts:
        return None
    dt_paths = ['arch/*/boot/dts', 'include/dt-bindings', 'scripts/dtc']
    code, _ = run(['git', '-C', tree, 'diff', '--quiet', 'base', 'HEAD',
                   '--'] + dt_paths, check=False)
    if code:
        raise Failure('the series changes %s: the base kernel needs a '
                      'device tree of its own' % ', '.join(dt_paths))
    out = build_dir(guest)
    karch = GUESTS[guest]['karch']
    run(make_cmd(guest, tree, out, 'scripts_dtc'), env=build_env())
    pre = subprocess.run(
        ['cpp', '-nostdinc', '-undef', '-D__DTS__', '-x',
         'assembler-with-cpp', '-I',
         os.path.join(tree, 'arch', karch, 'boot', 'dts'),
         '-I', os.path.join(tree, 'scripts', 'dtc', 'include-prefixes'),
         os.path.join(CONFIGS, dts)], capture_output=True, check=False)
    if pre.returncode:
        raise Failure('configs/%s: cpp failed:\n%s' % (
            dts, pre.stderr.decode(errors='replace')[-1500:]))
    path = os.path.join(out, 'kernels', os.path.splitext(dts)[0] + '.dtb')
    proc = subprocess.run([os.path.join(out, 'scripts', 'dtc', 'dtc'), '-q',
                           '-I', 'dts', '-O', 'dtb', '-o', path, '-'],
                          input=pre.stdout, capture_output=True, check=False)
    if proc.returncode:
        raise Failure('configs/%s: dtc failed:\n%s' % (
            dts, proc.stderr.decode(errors='replace')[-1500:]))
    return path


def initramfs(guest, programs, bench=None):
    """An uncompressed cpio archive: busybox, /init, the test programs.

    With bench (shell lines), /init runs those instead of the tests and
    prints what they print as its "bench" section."""
    g = GUESTS[guest]
    root = os.path.join(CACHE, 'guest', 'initramfs-%s%s' % (
        guest, '-bench' if bench else ''))
    shutil.rmtree(root, ignore_errors=True)
    for d in ('bin', 'dev', 'proc', 'sys', 'tmp', 'tests'):
        os.makedirs(os.path.join(root, d))
    shutil.copy(busybox(guest), os.path.join(root, 'bin', 'busybox'))
    for name, path in programs.items():
        shutil.copy(path, os.path.join(root, 'tests', name))
    extra = {}
    if g.get('modetest'):
        extra.update(modetest_files(guest))
    if g.get('igt') and not bench:
        extra.update(igt_files(guest))
    if extra:
        for rel, host in extra.items():
            os.makedirs(os.path.join(root, os.path.dirname(rel)),
                        exist_ok=True)
            shutil.copy(host, os.path.join(root, rel), follow_symlinks=True)
    probes = '\n'.join('/tests/dumbprobe %s >> /tmp/probe.log 2>&1' % p
                        for p in g['probe'])
    igt = {'tests': ' '.join(g['igt']), 'driver': g['driver'],
           'bin': IGT_BIN, 'mark': MARK} if g.get('igt') else None
    init = os.path.join(root, 'init')
    with open(init, 'w') as f:
        if bench:
            f.write(BENCH_INIT % {'mark': MARK, 'driver': g['driver'],
                                  'setup': g.get('setup', ''),
                                  'bench': bench})
        else:
            f.write(INIT % {
                'mark': MARK, 'kselftests': ' '.join(kselftests(guest)),
                'probes': probes, 'driver': g['driver'] or '',
                'setup': g.get('setup', ''),
                'fbdev': FBDEV if g.get('fbdev') else '',
                'leakscan': LEAKSCAN if g.get('debug') else '',
                'modetest': MODETEST % {'driver': g['driver']}
                            if g.get('modetest') else '',
                'igt_run': IGT_RUN % igt if igt else '',
                'igt_print': IGT_PRINT % igt if igt else ''})
    os.chmod(init, 0o755)
    archive = root + '.cpio'
    files = subprocess.run(['find', '.'], cwd=root, check=True,
                           capture_output=True).stdout
    with open(archive, 'wb') as out:
        subprocess.run(['cpio', '-o', '-H', 'newc', '--quiet'], cwd=root,
                       input=files, stdout=out, check=True)
    return archive


CRASH = re.compile(rb'Internal error: Oops|Kernel panic - not syncing|'
                   rb'general protection fault')
CRASH_GRACE = 3


def boot(guest, variant, image, archive, devicetree=None, tag=None):
    """Boot the guest and read its console until the tests are done.

    QEMU is stopped once the guest printed its last marker (not every
    emulated machine can power off), or when the guest's timeout runs out.
    Returns (QEMU's exit code or None, seconds, console text, log path).
    """
    g = GUESTS[guest]
    log = os.path.join(LOGS, 'guest-%s-%s-console.log' % (
        guest, tag or variant))
    append = 'console=%s panic=-1 oops=panic %s' % (g['console'],
                                                    g.get('append', ''))
    cmd = g['qemu'] + ['-nographic', '-no-reboot', '-kernel', image,
                       '-initrd', archive, '-append', append.strip()]
    if devicetree:
        cmd += ['-dtb', devicetree]
    done = ('%s done' % MARK).encode()
    t0 = time.monotonic()
    code = None
    crashed = None
    with open(log, 'wb') as out, subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(os.environ, QEMU_AUDIO_DRV='none')) as proc:
        os.set_blocking(proc.stdout.fileno(), False)
        seen = b''
        while time.monotonic() - t0 < g['timeout']:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            chunk = proc.stdout.read() if ready else b''
            if chunk:
                out.write(chunk)
                seen = (seen + chunk)[-4096:]
                if done in seen:
                    break
                if crashed is None and CRASH.search(seen):
                    crashed = time.monotonic()
            elif ready or proc.poll() is not None:
                break
            # A crashed kernel (oops=panic) may hang instead of rebooting:
            # stop once it has been quiet for a while after the report.
            if crashed is not None and not chunk and \
                    time.monotonic() - crashed > CRASH_GRACE:
                break
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        else:
            code = proc.returncode
    took = time.monotonic() - t0
    text = open(log, encoding='utf-8', errors='replace').read()
    return code, took, text, log


def section(text, name):
    """The lines between the begin and end markers of a section."""
    m = re.search(r'%s begin %s\r?\n(.*?)%s end %s' % (
        re.escape(MARK), name, re.escape(MARK), name), text, re.S)
    return m.group(1).replace('\r', '') if m else None


TAP = re.compile(r'^(not ok|ok) \d+ (\S+)(.*)$')


def tap_results(text):
    """{test name: 'pass'|'fail'|'skip'} from kselftest TAP output."""
    results = {}
    for line in text.splitlines():
        m = TAP.match(line.strip())
        if not m:
            continue
        status, name, rest = m.groups()
        if '# SKIP' in rest:
            results[name] = 'skip'
        else:
            results[name] = 'pass' if status == 'ok' else 'fail'
    return results


# Kernel reports the runtime stage fails on (unless the base prints them
# too).  A one-line dev_warn() is not a report; a "WARNING:" splat is.
REPORTS = [
    ('WARNING', re.compile(r'WARNING: .*(at|CPU: \d+ PID)')),
    ('BUG', re.compile(r'\bBUG: ')),
    ('Oops', re.compile(r'\bOops\b|Internal error:|general protection fault')),
    ('KASAN', re.compile(r'KASAN: ')),
    ('kmemleak', re.compile(r'kmemleak: .*new suspected memory leaks')),
    ('lockdep', re.compile(r'possible (recursive|circular|irq) .*(locking|lock)'
                           r'|Invalid wait context|inconsistent lock state')),
    # DMA API debugging announces itself at boot; only what follows counts.
    ('DMA-API', re.compile(r'DMA-API: (?!preallocated \d+ debug entries'
                           r'|debugging enabled by kernel config)')),
]
FLAGS_WARNING = re.compile(r'non-zero flags 0x[0-9a-f]+ in CREATE_DUMB ignored')
STAMP = re.compile(r'^\[\s*\d+\.\d+\]\s*')


def reports(log):
    """[(kind, line without timestamp)] of kernel reports in a log."""
    found = []
    for line in log.splitlines():
        for kind, pattern in REPORTS:
            if pattern.search(line):
                found.append((kind, STAMP.sub('', line).strip()))
                break
    return found
