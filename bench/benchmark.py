# SPDX-License-Identifier: GPL-2.0
"""The benchmarks (make bench): base against patched, in the same run.

Each guest's base and patched kernels (the runtime stage's, built or
reused) boot in turn, ROUNDS times each, alternating, from one initramfs
whose /init runs dumbprobe's measurements on the guest's driver:

- vmalloc: the kernel address space in use (/proc/vmallocinfo) before and
  after creating VMAP_BUFFERS 1920x1080 XRGB8888 dumb buffers, and after
  mapping them to userspace: the cost of each buffer's kernel mapping;
- exhaust: how many such buffers the kernel gives before it refuses one,
  and with which error (reports in the kernel log are listed); not on
  vkms, whose shmem buffers take no memory until they are touched;
- latency: create, mmap, write one byte a page, destroy, LATENCY_ITER
  times; each boot gives the median.

Figures are medians over the rounds, and patched/base ratios. Results go
to logs/bench.json in the cache; a summary table is printed. This is not a
test: it fails only when a guest does not boot or print its figures.
"""

import json
import os
import re
import statistics
import time

import check_apply
import checks
import guest_kernel
import guests
import initramfs
import parse
import qemu
import selftests
from common import LOGS, Failure, InfraFailure, say, write_atomic

BENCH_GUESTS = ('x86_64-vkms', 'arm-vexpress', 'arm-exynos',
                'arm-vexpress-highmem', 'arm-exynos-highmem')
ROUNDS = 3
VMAP_BUFFERS = 8
LATENCY_ITER = 25
WIDTH, HEIGHT = 1920, 1080
# What the highmem guests must show for their figures to mean anything.
HIGHMEM_CMA_KIB = 96 * 1024


def exhausts(guest):
    return guest.driver != 'vkms'


def probe_lines(guest):
    """The dumbprobe command lines of the benchmark."""
    probes = ['vmalloc %d %d %d' % (WIDTH, HEIGHT, VMAP_BUFFERS),
              'latency %d %d %d' % (WIDTH, HEIGHT, LATENCY_ITER)]
    if exhausts(guest):
        probes.append('exhaust %d %d' % (WIDTH, HEIGHT))
    return probes


def one_boot(guest, variant, image, archive, dtb, rnd):
    boot = qemu.boot(guest, 'bench-%s-%d' % (variant, rnd), image, archive,
                     dtb)
    text, took, log = boot.text, boot.seconds, boot.log
    where = '%s %s kernel, round %d' % (guest.name, variant, rnd)
    if boot.stop != 'done':
        raise Failure('%s: did not finish (%s, %.0f s); console log %s' % (
            where, boot.stop, took, log))
    if not re.search(r'^%s driver %s /dev/dri/card\d' % (
            re.escape(parse.MARK), guest.driver), text, re.M):
        raise Failure('%s: no card of %s; console log %s' % (
            where, guest.driver, log))
    probes = parse.probe_lines(parse.sections(text).get('bench', ''))
    keys = {'vmalloc': ('buffers', 'size', 'before_kib', 'created_kib',
                        'mapped_kib'),
            'latency': ('median_us',), 'exhaust': ('buffers', 'error'),
            'meminfo': ('MemTotal',)}
    for want in ('vmalloc', 'latency', 'meminfo') + (
            ('exhaust',) if exhausts(guest) else ()):
        got = probes.get(want, {})
        lost = [k for k in keys[want] if k not in got]
        if lost or (want != 'exhaust' and got.get('error', 'none') != 'none'):
            raise Failure('%s: dumbprobe %s printed %s; console log %s' % (
                where, want, ' '.join('%s=%s' % kv for kv in
                                      sorted(got.items())) or 'nothing',
                log))
    vm = probes['vmalloc']
    n = int(vm['buffers'])
    if n != VMAP_BUFFERS or int(vm['before_kib']) < 0:
        raise Failure('%s: dumbprobe vmalloc made %d of %d buffers, read '
                      '%s KiB of /proc/vmallocinfo; console log %s' % (
                          where, n, VMAP_BUFFERS, vm['before_kib'], log))
    meminfo = probes['meminfo']
    if guest.name.endswith('-highmem') and (
            int(meminfo.get('HighTotal', 0)) == 0 or
            int(meminfo.get('CmaTotal', 0)) < HIGHMEM_CMA_KIB or
            not re.search(r'cma: Reserved \d+ MiB at 0x0*%s\b' %
                          guest.append.split('@0x')[1], text)):
        raise Failure('%s: CMA is not in highmem (HighTotal %s KiB, '
                      'CmaTotal %s KiB); console log %s' % (
                          where, meminfo.get('HighTotal', 0),
                          meminfo.get('CmaTotal', 0), log))
    figures = {
        'seconds': round(took, 1),
        'buffer_kib': int(vm['size']) // 1024,
        'vmap_kib_per_buffer': (int(vm['created_kib']) -
                                int(vm['before_kib'])) / n,
        'vmap_kib_per_mapped_buffer': (int(vm['mapped_kib']) -
                                       int(vm['before_kib'])) / n,
        'latency_us': int(probes['latency']['median_us']),
        'buffers_until_failure': int(probes['exhaust']['buffers'])
                                 if 'exhaust' in probes else None,
        'failure': probes['exhaust']['error'] if 'exhaust' in probes
                   else 'not-run',
        'reports': [r[1] for r in parse.kernel_reports(
            parse.sections(text).get('test-log', ''))],
        'meminfo': meminfo,
    }
    return figures


def median(values):
    return statistics.median(values) if values else None


def summarise(rounds):
    """One row of figures per variant from its rounds."""
    first = rounds[0]
    return {
        'vmap_kib_per_buffer': median([r['vmap_kib_per_buffer']
                                       for r in rounds]),
        'vmap_kib_per_mapped_buffer': median(
            [r['vmap_kib_per_mapped_buffer'] for r in rounds]),
        'latency_us': median([r['latency_us'] for r in rounds]),
        'latency_us_rounds': [r['latency_us'] for r in rounds],
        'buffers_until_failure': median(
            [r['buffers_until_failure'] for r in rounds
             if r['buffers_until_failure'] is not None]),
        'failure': sorted({r['failure'] for r in rounds}),
        'reports': sorted({x for r in rounds for x in r['reports']}),
        'buffer_kib': first['buffer_kib'],
        'cma_kib': first['meminfo'].get('CmaTotal', '?'),
        'highmem_kib': first['meminfo'].get('HighTotal', '0'),
    }


def bench_guest(name):
    guest = guests.GUESTS[name]
    images = {v: guest_kernel.image(guest.kernel, v)
              for v in ('base', 'patched')}
    dtb = guest_kernel.dtb(guest)
    programs, _ = selftests.build(guest.arch)
    archive = initramfs.build(guest, programs, bench=probe_lines(guest))
    rounds = {'base': [], 'patched': []}
    for rnd in range(1, ROUNDS + 1):
        for variant in ('base', 'patched'):
            fig = one_boot(guest, variant, images[variant], archive, dtb,
                           rnd)
            rounds[variant].append(fig)
            until = ', %d buffers until %s' % (
                fig['buffers_until_failure'], fig['failure']) \
                if fig['buffers_until_failure'] is not None else ''
            say('    round %d %s: %.0f KiB kernel address space a buffer, '
                'latency %d us%s (%.0f s)' % (
                    rnd, variant, fig['vmap_kib_per_buffer'],
                    fig['latency_us'], until, fig['seconds']))
    return {v: {'rounds': r, 'summary': summarise(r)}
            for v, r in rounds.items()}


def ratio(a, b):
    return '%.2f' % (b / a) if a else '-'


def table(results):
    rows = ['| guest | CMA (KiB) | kernel address space per buffer (KiB), '
            'base / patched | buffers until failure, base / patched '
            '(error) | latency (us, median of %d boots x %d), base / '
            'patched | latency ratio |' % (ROUNDS, LATENCY_ITER),
            '| --- | --- | --- | --- | --- | --- |']
    for name, res in results.items():
        b, p = res['base']['summary'], res['patched']['summary']
        until = '%g / %g (%s)' % (
            b['buffers_until_failure'], p['buffers_until_failure'],
            '/'.join(sorted(set(b['failure'] + p['failure'])))) \
            if b['buffers_until_failure'] is not None else '-'
        rows.append('| %s | %s | %.0f / %.0f | %s | %g / %g | %s |' % (
            name, b['cma_kib'], b['vmap_kib_per_buffer'],
            p['vmap_kib_per_buffer'], until, b['latency_us'],
            p['latency_us'], ratio(b['latency_us'], p['latency_us'])))
    return rows


def main(only=None):
    names = only.split(',') if only else list(BENCH_GUESTS)
    unknown = [n for n in names if n not in BENCH_GUESTS]
    if unknown:
        raise Failure('unknown guest(s): %s (known: %s)' % (
            ', '.join(unknown), ', '.join(BENCH_GUESTS)))
    missing = checks.missing_packages()
    if missing:
        raise InfraFailure('missing packages: %s; run "sh bench/setup" as '
                           'root' % ' '.join(missing))
    start = time.monotonic()
    ctx = checks.Context(False)
    say('benchmarks: %s; %d rounds of base and patched each' % (
        ', '.join(names), ROUNDS))
    problems = check_apply.apply(ctx)
    if problems:
        raise Failure('the series does not apply:\n' + '\n'.join(problems))
    results, failed = {}, {}
    for i, name in enumerate(names, 1):
        say('')
        say('[%d/%d] %s' % (i, len(names), name))
        t0 = time.monotonic()
        try:
            results[name] = bench_guest(name)
        except Failure as err:
            failed[name] = str(err)
            say('[%d/%d] %s: FAILED (%.0f s)' % (i, len(names), name,
                                                 time.monotonic() - t0))
            for line in str(err).splitlines()[:20]:
                say('    ' + line)
            continue
        say('[%d/%d] %s: done (%.0f s)' % (i, len(names), name,
                                           time.monotonic() - t0))
        for variant in ('base', 'patched'):
            for report in results[name][variant]['summary']['reports']:
                say('    %s kernel printed: %s' % (variant, report))
    out = os.path.join(LOGS, 'bench.json')
    write_atomic(out, json.dumps(
        {'rounds': ROUNDS, 'latency_iterations': LATENCY_ITER,
         'vmap_buffers': VMAP_BUFFERS,
         'buffer': '%dx%d XRGB8888' % (WIDTH, HEIGHT), 'guests': results,
         'failed': failed}, indent=1, sort_keys=True))
    say('')
    for line in table(results):
        say(line)
    say('')
    say('results: %s' % out)
    say('total time %.0f s' % (time.monotonic() - start))
    if failed:
        say('no figures from: %s' % ', '.join(sorted(failed)))
        return 1
    return 0
