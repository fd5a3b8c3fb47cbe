# SPDX-License-Identifier: GPL-2.0
"""The runtime stage at every patch from the one that adds the kselftests
to the one before the last (the runtime checks judge the last).

At each such patch, the kernel of every guest that runs kselftests is
built from the check tree at that patch (in a build tree of its own,
build/guest-<kernel>-points, after the commit before it), and so are the
kselftests and dumbprobe (those the tree's Makefile has there).  A guest
whose kernel image and initramfs are byte for byte those of the patch
before it keeps that patch's verdict: nothing it runs changed.  Otherwise
its patched kernel boots with that initramfs and is judged against the
base kernel booted with the same initramfs, as the runtime checks judge
the last patch, except that what the series fixes only later is held to
the base's rule: a kernel report it fixes may appear if the base prints
it too, and a probe (not a kselftest case) may fail if it fails on the
base too.
"""

import dataclasses
import hashlib
import json
import os
import shutil
import time

import checktree
import guest_kernel
import guests
import initramfs
import kbuild
import qemu
import runtime_results
import selftests
import verdicts
from common import LOGS, Failure, say, write_atomic

WHERE = 'points'
SELFTESTS = selftests.MAKEFILE
CODE = [__file__, runtime_results.__file__, qemu.__file__, initramfs.INIT,
        selftests.__file__]


def checked_guests():
    """The guests of the runtime checks that run kselftests, without the
    debug variants (the same tests on debug kernels)."""
    return [g for g in guests.GUESTS.values()
            if g.check and g.kselftests and
            'guest-debug.config' not in g.kernel.configs]


def needs():
    return tuple(sorted({g.check for g in checked_guests()})) + (
        'kselftest-build',)


def points(commits):
    """[(sha, label)] from the commit that adds the selftests' Makefile to
    the one before the last."""
    for i, (sha, _) in enumerate(commits):
        if SELFTESTS in checktree.changed_files(sha + '^', sha, 'A'):
            return commits[i:-1]
    raise Failure('no patch adds %s' % SELFTESTS)


def tag(label):
    """A patch's short name in file names: 05-drm/0009-... -> 05-drm-0009."""
    topic, name = label.split('/')
    return topic + '-' + name[:4]


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def build_kernel(kernel, first, log_tag):
    """The kernel image of the check tree as checked out, built in the
    kernel's points build tree; returns its digest and a copy's path."""
    out = guest_kernel.build_dir(kernel) + '-' + WHERE
    frags = guest_kernel.fragments(kernel, 'patched')
    if first or not os.path.exists(os.path.join(out, '.config')):
        kbuild.configure(kernel.arch, checktree.TREE, out, 'tinyconfig',
                         frags)
    else:
        kbuild.resync(kernel.arch, checktree.TREE, out)
    log = os.path.join(LOGS, 'build', 'guest-%s-%s-%s.log' % (
        kernel.name, WHERE, log_tag))
    code, _ = kbuild.make(kernel.arch, checktree.TREE, out,
                          os.path.basename(kernel.image), log=log,
                          what='%s kernel at %s' % (kernel.name, log_tag),
                          check=False)
    if code:
        raise Failure('the %s kernel does not build at %s; log %s' % (
            kernel.name, log_tag, log))
    image = os.path.join(out, kernel.image)
    keep = os.path.join(out, 'kernels', '%s-%s' % (
        log_tag, os.path.basename(kernel.image)))
    os.makedirs(os.path.dirname(keep), exist_ok=True)
    shutil.copy(image, keep)
    return digest(keep), keep


def at_point(guest, names):
    """The guest as it runs at a patch: the kselftests the tree has there,
    and no pattern of reports the series fixes (held to the base's rule)."""
    return dataclasses.replace(
        guest, name=guest.name + '-' + WHERE, fixed=(),
        kselftests=tuple(t for t in guest.kselftests if t in names))


def step(label, first, todo):
    """Build what every guest runs at the checked-out patch: {guest name:
    (image digest, image path, the guest at the patch, archive)}."""
    names = selftests.tree_names()
    images, progs, built = {}, {}, {}
    for guest in todo:
        kernel = guest.kernel
        if kernel.name not in images:
            images[kernel.name] = build_kernel(kernel, first, label)
        if guest.arch not in progs:
            progs[guest.arch], _ = selftests.build(guest.arch, WHERE)
        point_guest = at_point(guest, names)
        archive = initramfs.build(point_guest, progs[guest.arch])
        # The archive is rebuilt at the next patch: keep its digest.
        built[guest.name] = (images[kernel.name], point_guest,
                             verdicts.tree_digest(archive[:-len('.cpio')]),
                             archive)
    return built


def same_failure(guest, rows):
    """compare()'s problems for tests other than the kselftests' that fail
    on the base as they fail here: a probe of something a later patch
    fixes (Exynos buffers imported into vkms before the Exynos conversion)
    may fail before that patch.  A kselftest case may not fail at all."""
    own = tuple(t + '.' for t in guest.kselftests)
    return {'%s: %s on the patched kernel' % (name, p)
            for name, b, p in rows
            if p in ('fail', 'crash') and b == p and not name.startswith(own)}


def judge(guest, image, archive, akey, dtb, label, base_runs):
    """Boot the patched kernel at a patch (and the base with the same
    initramfs, akey its digest, once per initramfs); returns (problems,
    lines)."""
    lines = []
    if akey not in base_runs:
        boot = qemu.boot(guest, 'base', guest_kernel.image(guest.kernel,
                                                           'base'),
                         archive, dtb)
        base_runs[akey] = runtime_results.read_console(
            guest, 'base', boot.text, checktree.KUNIT_TOOL)
    base = base_runs[akey]
    boot = qemu.boot(guest, tag(label), image, archive, dtb)
    run = runtime_results.read_console(guest, 'patched', boot.text,
                                       checktree.KUNIT_TOOL)
    problems = []
    if not run.finished:
        problems.append('stopped (%s) before the end; console %s' % (
            boot.stop, boot.log))
    rows, trouble, _ = runtime_results.compare(guest, base, run)
    problems += [p for p in trouble if p not in same_failure(guest, rows)]
    counts = {}
    for _, _, p in rows:
        counts[p] = counts.get(p, 0) + 1
    lines.append('%s after %.0f s; kselftests %s; %d tests: %s' % (
        boot.stop, boot.seconds, ' '.join(guest.kselftests) or 'none',
        len(rows), ', '.join('%d %s' % (n, s)
                             for s, n in sorted(counts.items()))))
    lines += ['%-56s %-7s %s' % row for row in rows
              if row[2] != 'pass' or row[1] != 'pass']
    return problems, lines


def runtime_points(ctx):
    todo = checked_guests()
    chosen = points(ctx.commits)
    say('    patches: %s .. %s (%d); guests: %s' % (
        chosen[0][1], chosen[-1][1], len(chosen),
        ', '.join(g.name for g in todo)))
    dtbs = {g.name: guest_kernel.dtb(g) for g in todo}
    store = verdicts.Store('runtime-points')
    code = verdicts.file_digest(*CODE)
    base_runs = {g.name: {} for g in todo}
    before = {}
    problems, results = [], []
    for i, (sha, label) in enumerate(chosen):
        with checktree.checked_out(sha):
            built = step(tag(label), i == 0, todo)
            # Boot outside the build loop but inside the checkout: the
            # archives of this patch exist until the next one's step.
            for guest in todo:
                image_digest, image = built[guest.name][0]
                point_guest, arch_digest, archive = built[guest.name][1:]
                mine = (image_digest, arch_digest)
                say('    %s %s:' % (label, guest.name))
                if before.get(guest.name, (None,))[0] == mine:
                    say('      kernel image and initramfs as at %s: its '
                        'verdict stands' % before[guest.name][1])
                    results.append((label, guest.name, 'as ' +
                                    before[guest.name][1]))
                    continue
                dtb = dtbs[guest.name]
                k = verdicts.key(repr(point_guest), mine,
                                 guest_kernel.built_from(guest.kernel,
                                                         'base'),
                                 verdicts.file_digest(*([dtb] if dtb
                                                        else [])), code)
                kept = store.get(k)
                if kept:
                    say('      unchanged since the run of %s:' % kept['when'])
                    found, lines = kept['problems'], kept['lines']
                else:
                    found, lines = judge(point_guest, image, archive,
                                         arch_digest, dtb, label,
                                         base_runs[guest.name])
                    if not found:
                        store.put(k, {'when': time.strftime(
                            '%Y-%m-%d %H:%M UTC', time.gmtime()),
                            'lines': lines, 'problems': found})
                for line in lines:
                    say('      ' + line)
                problems += ['%s %s: %s' % (label, guest.name, p)
                             for p in found]
                results.append((label, guest.name,
                                'fail' if found else 'pass'))
                before[guest.name] = (mine, label)
    path = os.path.join(LOGS, 'runtime-points.json')
    write_atomic(path, json.dumps(
        {'results': results, 'problems': problems}, indent=1))
    say('    %d patch and guest pairs: %d booted and passed, %d kept the '
        'verdict of the patch before, %d failed; results %s' % (
            len(results), sum(r[2] == 'pass' for r in results),
            sum(r[2].startswith('as ') for r in results),
            sum(r[2] == 'fail' for r in results), path))
    if len(results) != len(chosen) * len(todo):
        problems.append('%d results for %d patches and %d guests' % (
            len(results), len(chosen), len(todo)))
    return problems
