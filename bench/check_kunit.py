# SPDX-License-Identifier: GPL-2.0
"""KUnit: the DRM suites and the DMA layer's (the series' own among them),
and the Rockchip suite.

CI tier: the DRM and DMA suites built into the ARM guests' patched kernel
(configs/guest-arm.config, guest-kunit-series.config), booted under QEMU
vexpress-a9 with KUnit on: 32-bit ARM's own DMA mapping code, and no
kernel of their own to build; the Rockchip and DMA suites through kunit.py
on arm64 under QEMU's virt machine with an SMMUv3 and two PCI test devices
(the series' tools/testing/kunit/qemu_configs/arm64-smmuv3.py), so that
dma-iommu runs.  Full tier: the same suites built into the x86_64 guest's
kernel, and through kunit.py on UML (what the cover letter tells
maintainers to run) and on arm64 with the SMMUv3.

kunit.py's exit status is not enough: it counts a skipped test as a
success.  The raw output it keeps (test.log in its build directory) is
parsed again with its own parser, and the check fails on any failed or
crashed test, on a plan not met, when a suite the series adds did not
run, or skipped a case that SKIPS below does not list with its reason,
and when the kernel printed a report (WARNING, BUG, Oops, KASAN...) while
one of the series' suites ran: KUnit passes a case that only splats.
"""

import fnmatch
import os
import re
import time

import checktree
import guest_kernel
import guests
import kbuild
import parse
import qemu
import verdicts
from common import LOGS, read_text, run, say, tail_file

DMA_KUNITCONFIG = 'kernel/dma'
KUNITCONFIGS = (DMA_KUNITCONFIG, 'drivers/gpu/drm/tests')
ROCKCHIP_KUNITCONFIGS = (DMA_KUNITCONFIG, 'drivers/gpu/drm/rockchip/tests')
# kunit.py --arch: arm64 runs on the series' QEMU configuration with an
# SMMUv3 in front of two PCI test devices.
KUNIT_ARCH = {'arm64': 'arm64-smmuv3'}
NO_IOMMU = 'no QEMU PCI test device in an IOMMU DMA domain: '
NO_POOL = ('only the series\' arm64-smmuv3 QEMU configuration leaves memory '
           'out of the kernel\'s RAM for a per-device pool')
CODE = [__file__, parse.__file__]
# Cases of the series' suites that may skip on an arch, and why.
SKIPS = {
    'um': {'dma_vmap_iommu.*': NO_IOMMU + 'UML has no IOMMU',
           'dma_vmap.dma_vmap_test_memory_type': 'UML has no memory types',
           'dma_vmap.dma_vmap_test_dev_coherent_pool': NO_POOL},
    'x86_64': {'dma_vmap_iommu.*': NO_IOMMU + 'the x86_64 guest has none',
               'dma_vmap.dma_vmap_test_dev_coherent_pool': NO_POOL},
    'arm': {'dma_vmap_iommu.*': NO_IOMMU + 'QEMU\'s 32-bit ARM machines '
            'have no IOMMU',
            'dma_vmap.dma_vmap_test_dev_coherent_pool': NO_POOL},
    'arm64': {},
}


def series_suites():
    """The KUnit suites the series adds, by name."""
    def names(rev, paths):
        found = set()
        for path in paths:
            text = checktree.show(rev, path) or ''
            if 'kunit_test_suite' not in text:
                continue
            for block in re.findall(r'struct kunit_suite \w+ = \{(.*?)\};',
                                    text, re.S):
                found.update(re.findall(r'\.name\s*=\s*"([^"]+)"', block))
        return found
    paths = [p for p in checktree.changed_files('base', 'HEAD', 'AM')
             if p.endswith('.c')]
    return sorted(names('HEAD', paths) - names('base', paths))


PRINTK_TIME = re.compile(r'^\[\s*\d+\.\d+\] ')
SUITE_START = re.compile(r'^ {4}# Subtest: (\S+)$')
SUITE_END = re.compile(r'^(?:not )?ok \d+ (\S+)')


def suite_reports(text):
    """{suite: [kernel report lines]} of the reports (parse.REPORTS) that
    a KUnit run's kernel printed while a suite ran."""
    found, suite = {}, None
    for raw in text.splitlines():
        line = PRINTK_TIME.sub('', raw.rstrip())
        start = SUITE_START.match(line)
        if start:
            suite = start.group(1)
            continue
        end = SUITE_END.match(line)
        if end and end.group(1) == suite:
            suite = None
            continue
        if suite:
            for _kind, report in parse.kernel_reports(line):
                found.setdefault(suite, []).append(report)
    return found


def verdict(arch, result, suites, notes=None, text=None):
    """Problems of a parsed KUnit run; the skips SKIPS allows go to
    notes.  With the run's raw text, a kernel report (a WARNING, BUG,
    Oops...) printed while one of the series' suites ran is a problem;
    one printed during another suite is a note."""
    notes = [] if notes is None else notes
    problems = list(result.problems)
    for suite, reports in sorted(suite_reports(text or '').items()):
        for report in reports:
            if suite in suites:
                problems.append('the kernel printed a report during the '
                                'series\' suite %s: %s' % (suite, report))
            else:
                notes.append('    during suite %s (not the series\'): %s'
                             % (suite, report))
    problems += ['%s: %s' % (n, s) for n, s in sorted(result.cases.items())
                 if s in ('fail', 'crash')]
    ran = result.suites()
    for suite in suites:
        if suite not in ran:
            problems.append('the series\' suite %s did not run' % suite)
    for name, status in sorted(result.cases.items()):
        if status != 'skip' or name.split('.')[0] not in suites:
            continue
        why = [w for p, w in SKIPS[arch].items() if fnmatch.fnmatch(name, p)]
        if why:
            notes.append('    %s: skipped, as expected: %s' % (name,
                                                              why[0]))
        else:
            problems.append('%s: skipped; on %s no case of the series\' '
                            'suites may skip but those listed in '
                            'bench/check_kunit.py' % (name, arch))
    return problems


def kept(name, parts, work):
    """A passing verdict of an earlier run with the same parts, or work()
    done now (and kept if it passes)."""
    store = verdicts.Store('kunit')
    k = verdicts.key(name, parts, SKIPS, verdicts.file_digest(*CODE))
    got = store.get(k)
    if got is not None:
        say('    unchanged since the run of %s (the same kernel, tests and '
            'check); its results:' % got['when'])
        for line in got['lines']:
            say(line)
        return got['problems']
    lines = []
    problems = work(lines)
    if not problems:
        store.put(k, {'when': time.strftime('%Y-%m-%d %H:%M UTC',
                                            time.gmtime()),
                      'lines': lines, 'problems': []})
    return problems


def run_kunit(arch, name, kunitconfigs, suites):
    parts = [checktree.tree_id('HEAD'), kbuild.compiler(
        'x86_64' if arch == 'um' else arch), list(kunitconfigs)]
    return kept(name, parts, lambda lines: run_kunit_now(
        arch, name, kunitconfigs, suites, lines))


def run_kunit_now(arch, name, kunitconfigs, suites, lines):
    build = os.path.join(kbuild.BUILD, name)
    log = os.path.join(LOGS, '%s.log' % name)
    raw = os.path.join(build, 'test.log')
    if os.path.exists(raw):
        os.unlink(raw)
    a = kbuild.ARCHES[arch] if arch != 'um' else kbuild.ARCHES['x86_64']
    cmd = ['python3', 'tools/testing/kunit/kunit.py', 'run',
           '--build_dir=' + build, '--jobs=%d' % os.cpu_count(),
           '--timeout=900']
    cmd += ['--kunitconfig=' + k for k in kunitconfigs]
    if arch != 'um':
        cmd += ['--arch=' + KUNIT_ARCH.get(arch, arch),
                '--cross_compile=' + a.cross]
    for opt in ('CC=ccache %sgcc' % a.cross, 'HOSTCC=ccache gcc'):
        cmd += ['--make_options', opt]
    code, _ = run(cmd, cwd=checktree.TREE, check=False, log=log,
                  env=kbuild.env(), what='kunit.py on ' + arch)
    if not os.path.exists(raw):
        return ['kunit.py exited %d before running a kernel (log %s)' % (
            code, log)] + tail_file(log, 20).splitlines()
    result = parse.ktap(read_text(raw), checktree.KUNIT_TOOL)
    lines += report_counts(arch, result, suites, raw)
    notes = []
    problems = verdict(arch, result, suites, notes, read_text(raw))
    say_all(notes, lines)
    if code and not problems:
        problems.append('kunit.py exited %d (log %s)' % (code, log))
    return problems


def kunit(arch):
    def check(_ctx):
        suites = [s for s in series_suites() if not s.startswith('rockchip')]
        return run_kunit(arch, 'kunit-' + arch, KUNITCONFIGS, suites)
    return check


def say_all(notes, lines):
    for note in notes:
        say(note)
    lines += notes


def report_counts(arch, result, suites, raw):
    """Say and return the counts of a parsed run."""
    counts = result.counts
    lines = ['    %s: %d tests: %d passed, %d failed, %d crashed, %d skipped '
             '(%d parse errors); raw output %s' % (
                 arch, counts.total(), counts.passed, counts.failed,
                 counts.crashed, counts.skipped, counts.errors, raw)]
    for suite in suites:
        got = result.suites().get(suite, [])
        lines.append('    the series\' suite %s: %d cases, %s' % (
            suite, len(got), ', '.join('%d %s' % (got.count(s), s)
                                       for s in sorted(set(got)))))
    for line in lines:
        say(line)
    return lines


def kunit_guest(name):
    """The DRM suites built into a guest's patched kernel."""
    def check(_ctx):
        return run_in_guest(guests.GUESTS[name])
    return check


def run_in_guest(guest):
    image = guest_kernel.image(guest.kernel, 'patched')
    dtb = guest_kernel.dtb(guest)
    suites = [s for s in series_suites() if not s.startswith('rockchip')]

    def work(lines):
        boot = qemu.boot(guest, 'kunit', image, None, dtb,
                         append='kunit.enable=1 kunit.autorun=1 '
                         'kunit_shutdown=poweroff',
                         timeout=900, until=b'reboot: Power down')
        result = parse.ktap(boot.text, checktree.KUNIT_TOOL)
        lines += report_counts(guest.arch, result, suites, boot.log)
        notes = []
        problems = verdict(guest.arch, result, suites, notes, boot.text)
        say_all(notes, lines)
        if boot.stop not in ('done', 'exit 0'):
            problems.append('the kernel did not power off after KUnit (%s); '
                            'console %s' % (boot.stop, boot.log))
        return problems
    return kept('kunit-' + guest.name, [
        guest_kernel.built_from(guest.kernel, 'patched'), suites,
        repr(guest), verdicts.file_digest(qemu.__file__,
                                          *([dtb] if dtb else []))], work)


def kunit_rockchip(_ctx):
    """The Rockchip suite and the DMA layer's on arm64 under QEMU, with an
    SMMUv3."""
    suites = [s for s in series_suites()
              if s.startswith(('rockchip', 'dma_'))]
    return run_kunit('arm64', 'kunit-rockchip-arm64', ROCKCHIP_KUNITCONFIGS,
                     suites)
