# SPDX-License-Identifier: GPL-2.0
"""Runtime stage: boot the base and the patched kernel of a guest under
QEMU; both run the same initramfs (the series' kselftests, dumbprobe and
the guest's other probes); the patched kernel is judged against the base
(bench/runtime_results.py says how).  Results go to
logs/runtime-<guest>.json in the cache, consoles to
logs/guest-<guest>-<variant>-console.log.  With the same kernels,
initramfs, device tree and check code as an earlier run that passed, that
run's results stand and nothing boots.
"""

import dataclasses
import json
import os
import time

import checktree
import guest_kernel
import guests
import initramfs
import parse
import qemu
import runtime_results
import selftests
import verdicts
from common import LOGS, say, tail, write_atomic

CODE = [__file__, runtime_results.__file__, parse.__file__, qemu.__file__,
        initramfs.INIT]


class Lines:
    """What a check says, kept to be said again when its verdict is
    reused."""

    def __init__(self):
        self.lines = []

    def __call__(self, line):
        say(line)
        self.lines.append(line)


def print_run(out, run, boot):
    counts = {}
    for status in run.tests.values():
        counts[status] = counts.get(status, 0) + 1
    out('    %s: %s after %.0f s; drivers: %s; tests on %s; %d tests: %s' % (
        run.variant, boot.stop, boot.seconds, ' '.join(run.drivers) or 'none',
        run.driver or '-', len(run.tests),
        ', '.join('%d %s' % (n, s) for s, n in sorted(counts.items()))))
    for what, values in sorted(run.probes.items()):
        out('    %s: dumbprobe %s: %s' % (run.variant, what, ' '.join(
            '%s=%s' % kv for kv in sorted(values.items()))))


def judge(guest, images, dtb, archive, out):
    """Boot both kernels and compare them; returns the problems."""
    runs, problems = {}, []
    for variant in ('base', 'patched'):
        boot = qemu.boot(guest, variant, images[variant], archive, dtb)
        if variant == 'base' and guest.base_oops:
            problems += runtime_results.expected_oops(guest, boot.text)
            out('    base: stopped (%s) after %.0f s, as it must, with %s' % (
                boot.stop, boot.seconds, guest.base_oops))
            runs['base'] = None
            continue
        run = runtime_results.read_console(guest, variant, boot.text,
                                           checktree.KUNIT_TOOL)
        print_run(out, run, boot)
        if not run.finished:
            out('    %s: the console\'s last lines:' % variant)
            for line in tail(boot.text, 15).splitlines():
                out('      ' + line)
            if variant == 'patched':
                problems.append('patched kernel stopped (%s) before the end; '
                                'console %s' % (boot.stop, boot.log))
        runs[variant] = run
    rows, trouble, notes = runtime_results.compare(guest, runs['base'],
                                                   runs['patched'])
    problems += trouble
    out('    %-56s %-7s %s' % ('test', 'base', 'patched'))
    for test, b, p in rows:
        out('    %-56s %-7s %s' % (test, b, p))
    for note in notes:
        out('    ' + note)
    path = os.path.join(LOGS, 'runtime-%s.json' % guest.name)
    data = {v: dataclasses.asdict(r) if r else None for v, r in runs.items()}
    data.update(guest=guest.name, check=guest.check, problems=problems)
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True))
    out('    results: %s' % path)
    return problems


def runtime(name):
    guest = guests.GUESTS[name]

    def check(_ctx):
        images = {v: guest_kernel.image(guest.kernel, v)
                  for v in ('base', 'patched')}
        dtb = guest_kernel.dtb(guest)
        archive = initramfs.build(guest, selftests.programs(guest.arch))
        store = verdicts.Store('runtime')
        k = verdicts.key(repr(guest), [guest_kernel.built_from(
            guest.kernel, v) for v in ('base', 'patched')],
            verdicts.tree_digest(archive[:-len('.cpio')]),
            verdicts.file_digest(*([dtb] if dtb else []) + CODE))
        kept = store.get(k)
        if kept:
            say('    unchanged since the run of %s (the same kernels, '
                'initramfs, device tree and check); its results:'
                % kept['when'])
            for line in kept['lines']:
                say(line)
            return kept['problems']
        out = Lines()
        problems = judge(guest, images, dtb, archive, out)
        if not problems:
            # Only a pass is kept: a failure is looked at again.
            store.put(k, {'when': time.strftime('%Y-%m-%d %H:%M UTC',
                                                time.gmtime()),
                          'lines': out.lines, 'problems': problems})
        return problems
    return check
