# SPDX-License-Identifier: GPL-2.0
"""Headers: every C file that directly includes a header whose code (not
only comments) the series changes compiles at the last patch, in one of
the arch builds or else alone, in a cached x86_64 allmodconfig tree.

A DMA-layer header (include/linux/dma-*.h) is checked on the DMA layer
itself (kernel/dma) and on the GEM DMA helpers and drivers, not on each of
its thousands of includers.
"""

import os
import re

import build_tree
import checktree
import kbuild
import verdicts
from common import LOGS, read_text, run, say

DMA_LAYER = re.compile(r'^include/linux/dma-[\w-]+\.h$')
FALLBACK = 'x86_64-allmod'


def code_changed(path, old='base', new='HEAD'):
    """True if a header's code changed, not only its comments."""
    def strip(rev):
        text = checktree.show(rev, path) or ''
        text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
        text = re.sub(r'//[^\n]*', '', text)
        return [ln.strip() for ln in text.splitlines() if ln.strip()]
    return strip(old) != strip(new)


def lines_removed(path, old, new):
    """True if the diff of a file removes or changes a line of code (not
    only adds lines, or changes comments)."""
    _, out = run(['git', '-C', checktree.TREE, 'diff', '-U0', old, new, '--',
                  path])
    for line in out.splitlines():
        if not line.startswith('-') or line.startswith('---'):
            continue
        text = line[1:].strip()
        if text and not text.startswith(('*', '/*', '//')):
            return True
    return False


def includers(header):
    """The .c files of the check tree (as checked out) that include a
    header directly."""
    if header.startswith('include/'):
        pattern = '#include <%s>' % header[len('include/'):]
        where = ['*.c']
    else:
        pattern = '#include "%s"' % os.path.basename(header)
        where = ['%s/*.c' % os.path.dirname(header)]
    code, out = run(['git', '-C', checktree.TREE, 'grep', '-l', '-F',
                     pattern, '--'] + where, check=False)
    if code not in (0, 1):
        raise RuntimeError('git grep failed: %s' % out)
    return out.split() if code == 0 else []


def required_files(header):
    """The C files that must compile when a header changes."""
    if DMA_LAYER.match(header):
        _, out = run(['git', '-C', checktree.TREE, 'ls-files',
                      'kernel/dma/*.c'])
        files = set(out.split())
        files.add('drivers/gpu/drm/drm_gem_dma_helper.c')
        files.update(includers('include/drm/drm_gem_dma_helper.h'))
        return sorted(files)
    return includers(header)


def compile_alone(sources):
    """Compile single objects in an x86_64 allmodconfig tree (kbuild
    compiles a single target whether or not the configuration enables it),
    all in one make that goes on after an error; return {source: error
    lines} of those that fail."""
    out = os.path.join(kbuild.BUILD, FALLBACK)
    if not os.path.exists(os.path.join(out, '.config')):
        kbuild.make('x86_64', checktree.TREE, out, 'allmodconfig')
    objects = [src[:-2] + '.o' for src in sources]
    for obj in objects:
        if os.path.exists(os.path.join(out, obj)):
            os.unlink(os.path.join(out, obj))
    log = os.path.join(LOGS, 'build', FALLBACK + '.log')
    kbuild.make('x86_64', checktree.TREE, out, '-k', 'W=1', *objects,
                log=log, what='allmodconfig single objects', check=False)
    text = read_text(log)
    return {src: [ln for ln in text.splitlines()
                  if src in ln and 'error' in ln.lower()][:5] or
            ['no object; log %s' % log]
            for src, obj in zip(sources, objects)
            if not os.path.exists(os.path.join(out, obj))}


def headers(ctx):
    known = {a: sorted(build_tree.BuildTree(a, build_tree.build_dir(
        a, ctx.full)).known()) for a in kbuild.ARCHES}
    store = verdicts.Store('headers')
    k = verdicts.key(checktree.tree_id('HEAD'), known,
                     verdicts.file_digest(__file__))
    got = store.get(k)
    if got is not None:
        say('    unchanged since the last run (the same tree and arch '
            'builds): %d problems' % len(got))
        return got
    problems = check(known)
    store.put(k, problems)
    return problems


def check(known):
    changed = [p for p in checktree.changed_files('base', 'HEAD', 'AM')
               if p.endswith('.h') and not p.startswith('tools/') and
               code_changed(p)]
    if not changed:
        say('    no header\'s code changes')
        return []
    plan = {}
    for header in changed:
        files = required_files(header)
        built = {a: [f for f in files if f[:-2] + '.o' in set(objects)]
                 for a, objects in known.items()}
        plan[header] = (files, built,
                        [f for f in files if f not in set().union(
                            *built.values())])
    # One make for what no arch builds, whichever header it includes.
    alone = sorted({f for _, _, rest in plan.values() for f in rest})
    failed = compile_alone(alone) if alone else {}
    problems = []
    for header, (files, built, rest) in plan.items():
        say('    %s: %d files; built on %s; %d more compiled alone in an '
            'allmodconfig x86_64 tree, %d failed' % (
                header, len(files), ', '.join('%s %d' % (a, len(b))
                                               for a, b in built.items()),
                len(rest), len([f for f in rest if f in failed])))
        for src in rest:
            if src in failed:
                problems.append('%s (needs %s) was built nowhere and does '
                                'not compile alone:' % (src, header))
                problems += ['  ' + ln for ln in failed[src]]
    return problems
