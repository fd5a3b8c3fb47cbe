# SPDX-License-Identifier: GPL-2.0
"""Build checks: every patch builds on x86_64, arm and arm64 with W=1 and
sparse and adds no warning.

One build tree per arch and tier in the cache, configured as allnoconfig
plus configs/<arch>.config, serves every step; ccache keeps unchanged
objects cheap.  What a step compiled is judged object by object: a finding
(compiler or sparse) is new when the same object, compiled at the base,
does not have it.  Only objects with findings are compiled at the base,
once, and their findings kept (bench/build_tree.py says how findings are
told apart).

CI tier, per arch:
- the last patch: the subsystems the series touches, whole (kbuild's
  directory targets: drivers/gpu/drm, kernel/dma and, when a DMA-layer
  header changes, drivers/iommu and the arch's mm), modules included;
  sparse on every C file the series touches and on the built direct
  includers of every header whose code it changes; every symbol a module
  there takes from those subsystems must be exported (modpost's check,
  made with nm without linking vmlinux);
- each patch: what its own diff reaches: the C files it touches (with
  sparse), the objects of a directory whose Makefile it changes, and the
  direct includers of a header whose existing lines it changes or removes.
  The includers of a header that a patch only adds to are compiled at the
  last patch (and at every patch in the full tier).
Full tier: the whole kernel and its modules at every patch (modpost
included), sparse on each patch's C files and the includers of its
headers.

A step's verdict is kept by content (the trees before and after it, the
fragment, the compilers, sparse, this code), so an unchanged step is not
built again.
"""

import functools
import hashlib
import os
import time

import build_tree
import check_headers
import checktree
import kbuild
import parse
import sparse
import verdicts as store
from common import git, say, write_atomic

ARCH_DMA = {'x86_64': [], 'arm': ['arch/arm/mm/'], 'arm64': ['arch/arm64/mm/']}
SRCARCH = {'x86_64': 'x86', 'arm': 'arm', 'arm64': 'arm64'}
CODE = [__file__, build_tree.__file__, build_tree.SOURCE, store.__file__,
        check_headers.__file__, parse.__file__, kbuild.__file__]


def subsystems(arch):
    """The directories built whole at the last patch."""
    dirs = {'drivers/gpu/drm/', 'kernel/dma/'}
    for path in checktree.changed_files('base', 'HEAD'):
        if check_headers.DMA_LAYER.match(path):
            dirs.update(['drivers/iommu/'] + ARCH_DMA[arch])
        if '/' not in path or path.split('/')[0] in (
                'include', 'tools', 'Documentation', 'scripts'):
            continue
        if path.startswith('arch/') and \
                path.split('/')[1] != SRCARCH[arch]:
            continue    # another architecture's code
        dirs.add(os.path.dirname(path) + '/')
    return sorted(d for d in dirs
                  if not any(d != o and d.startswith(o) for o in dirs))


@functools.lru_cache(maxsize=None)
def c_files(old, new):
    return frozenset(p for p in checktree.changed_files(old, new, 'AM')
            if p.endswith('.c') and not p.startswith('tools/'))


@functools.lru_cache(maxsize=None)
def header_reach(old, new, grown_too):
    """The direct includers of the headers whose code changed; unless
    grown_too, only of those whose existing lines changed."""
    found = set()
    for path in checktree.changed_files(old, new, 'AM'):
        if not path.endswith('.h') or path.startswith('tools/') or \
                not check_headers.code_changed(path, old, new):
            continue
        if grown_too or check_headers.lines_removed(path, old, new):
            found.update(check_headers.required_files(path))
    return frozenset(found)


def makefile_reach(old, new, known):
    """The sources of the known objects of each directory whose Makefile
    changed."""
    dirs = {os.path.dirname(p) for p in checktree.changed_files(old, new)
            if os.path.basename(p) in ('Makefile', 'Kbuild')}
    return {o[:-2] + '.c' for o in known if os.path.dirname(o) in dirs}


def present(files, known):
    """The C files whose source exists now and whose object is known."""
    return sorted(f for f in files if f[:-2] + '.o' in known and
                  os.path.exists(os.path.join(checktree.TREE, f)))


def objs(files):
    return [f[:-2] + '.o' for f in files]


def merge(records, log):
    """Per-object findings from the records and the log; the log's
    findings of no object go under ''."""
    found = {o: set(lines) for o, lines in records.items()}
    for obj, lines in log.items():
        found.setdefault(obj, set()).update(lines)
    return found


def sync(tree, rev):
    """Check out rev and let Kconfig settle, where a Kconfig file changed
    since the configuration was last synced."""
    checktree.switch(rev)
    mark = os.path.join(tree.out, '.synced-at')
    then = open(mark, encoding='utf-8').read() if os.path.exists(mark) \
        else None
    if then is None or checktree.kconfig_changed(then, rev):
        kbuild.resync(tree.arch, checktree.TREE, tree.out, tree.options)
        write_atomic(mark, rev)


def last_patch(tree, head, dirs):
    """The subsystems at the last patch, whole, with sparse on what the
    series reaches; returns (findings, objects, unexported, sparse
    count)."""
    sync(tree, head)
    reach = c_files('base', head) | header_reach('base', head, True)
    tree.drop_sparse_records()
    files = present(reach, tree.objects())
    tree.forget(objs(files))
    log = tree.make('last', *dirs, sparse_on=files)
    built = tree.objects()
    missing = sorted(set(present(reach, built)) - set(files))
    if missing:
        # Objects the first build of this tree made for the first time.
        tree.forget(objs(missing))
        for obj, lines in tree.make('last', *objs(missing),
                                    sparse_on=missing).items():
            log.setdefault(obj, set()).update(lines)
        files += missing
    return (merge(tree.findings(built), log), built,
            sorted(tree.unexported(dirs)), len(files))


def patch_step(tree, old, new, known, full):
    """One patch: CI, what its diff reaches; full tier, the whole kernel.
    Returns (findings of what it compiled, objects, sparse count)."""
    sync(tree, new)
    touched = c_files(old, new)
    if full:
        log = tree.make(new[:12])
        objects = sorted(tree.objects())
        checked = present(touched | header_reach(old, new, True), objects)
        if checked:
            tree.forget(objs(checked))
            for obj, lines in tree.make(new[:12], *objs(checked),
                                        sparse_on=checked).items():
                log.setdefault(obj, set()).update(lines)
    else:
        reach = present(touched | header_reach(old, new, False) |
                        makefile_reach(old, new, known), known)
        checked = present(touched, known)
        objects = objs(reach)
        tree.forget(objects)
        log = tree.make(new[:12], *objects, sparse_on=checked) \
            if objects else {}
    return merge(tree.findings(objects), log), objects, len(checked)


def base_findings(tree, wanted, cache):
    """{object: findings at the base}, compiling those not in the cache at
    the base, with sparse on those with a C source."""
    missing = sorted(o for o in wanted if o and o not in cache)
    if missing:
        sync(tree, 'base')
        there = [o for o in missing if os.path.exists(
            os.path.join(checktree.TREE, o[:-2] + '.c'))]
        tree.forget(there)
        log = tree.make('base', *there,
                        sparse_on=[o[:-2] + '.c' for o in there]) \
            if there else {}
        found = merge(tree.findings(there), log)
        for obj in missing:
            cache[obj] = sorted(found.get(obj, ()))
        # The next build at another commit compiles them again.
        tree.forget(there)
    return {o: set(cache.get(o, ())) for o in wanted}


def bisect(arch):
    def check(ctx):
        out = build_tree.build_dir(arch, ctx.full)
        tree = build_tree.BuildTree(arch, out)
        dirs = [] if ctx.full else subsystems(arch)
        code = ''.join(open(p, encoding='utf-8').read() for p in CODE)
        common = [arch, ctx.full, checktree.tree_id('base'),
                  kbuild.fragment_lines([arch + '.config']), dirs,
                  kbuild.compiler(arch), sparse.version(),
                  hashlib.sha256(code.encode()).hexdigest()]
        say('    %s: %s, in %s' % (arch, 'the whole kernel at every patch'
                                   if ctx.full else 'subsystems %s at the '
                                   'last patch, each patch\'s reach' %
                                   ' '.join(dirs), out))
        frag = os.path.join(out, 'fragment.config')
        if not os.path.exists(os.path.join(out, '.config')) or \
                not os.path.exists(frag) or open(frag).read() != common[3]:
            kbuild.configure(arch, checktree.TREE, out, 'allnoconfig',
                             [arch + '.config'], tree.options)
        verdicts = store.Store(None, os.path.join(out, '.verdicts.json'))
        with checktree.checked_out():
            return judge(ctx, tree, dirs, common, verdicts)
    return check


def judge(ctx, tree, dirs, common, verdicts):
    """Build what has no verdict yet, then judge it against the base;
    the check tree moves, checked_out() brings it back."""
    head = git(checktree.TREE, 'rev-parse', 'HEAD')
    steps = []      # (label, key, verdict or None, findings, meta)
    known = set()
    if not ctx.full:
        k = store.key(common, 'last', checktree.tree_id('HEAD'))
        verdict = verdicts.get(k)
        if verdict is None:
            t0 = time.monotonic()
            found, built, unexported, checked = last_patch(tree, head,
                                                           dirs)
            if unexported:
                found[''] = found.get('', set()) | {
                    '%s uses %s, which is not exported' % m
                    for m in unexported}
            steps.append(('last patch', k, None, found, {
                'objects': len(built), 'sparse': checked,
                'known': sorted(built),
                'seconds': time.monotonic() - t0}))
            known = built
        else:
            steps.append(('last patch', k, verdict, None, None))
            known = set(verdict['known'])
    steps += commit_steps(tree, ctx.commits, common, verdicts, known,
                          ctx.full)
    base_key = store.key(common, 'base findings')
    cache = verdicts.get(base_key) or {}
    wanted = {o for _, _, v, found, _ in steps if v is None
              for o in found}
    # The objects the last patch built, for the headers check (those
    # compiled at the base below are removed again).
    tree.save_known(known or tree.objects() | wanted)
    base = base_findings(tree, wanted, cache)
    verdicts.put(base_key, cache)
    return settle(steps, base, verdicts, '    ')[0]


def commit_steps(tree, commits, common, verdicts, known, full):
    """Build each commit's step that has no verdict yet; returns the steps
    as (label, key, verdict or None, findings, meta)."""
    steps = []
    prev = 'base'
    for sha, name in commits:
        k = store.key(common, 'step', checktree.tree_id(prev),
                      checktree.tree_id(sha))
        verdict = verdicts.get(k)
        if verdict is None:
            t0 = time.monotonic()
            found, compiled, checked = patch_step(tree, prev, sha, known,
                                                  full)
            steps.append((name, k, None, found, {
                'objects': len(compiled), 'sparse': checked,
                'seconds': time.monotonic() - t0}))
        else:
            steps.append((name, k, verdict, None, None))
        prev = sha
    return steps


def settle(steps, base, verdicts, indent):
    """Judge the new steps against the base findings, keep their verdicts
    and print every step; returns (problems, {label: objects
    compiled})."""
    problems, compiled = [], {}
    for label, k, verdict, found, meta in steps:
        reused = verdict is not None
        if not reused:
            new = sorted('%s: %s' % (o or 'build', line)
                         for o, lines in found.items()
                         for line in lines - base.get(o, set()))
            verdict = dict(meta, new=new, findings=sum(
                len(v) for v in found.values()))
            verdicts.put(k, verdict)
        say('%s%s: %s%d objects compiled, sparse on %d files, %d '
            'findings, %s%s' % (
                indent, label,
                'unchanged since the last run: ' if reused else '',
                verdict['objects'], verdict['sparse'],
                verdict['findings'], '%d new' % len(verdict['new'])
                if verdict['new'] else 'none new',
                '' if reused else ' (%.0f s)' % verdict['seconds']))
        problems += ['%s: %s' % (label, w) for w in verdict['new']]
        compiled[label] = verdict['objects']
    return problems, compiled


def steps_alone(ctx, arch, commits):
    """The CI tier's per-patch steps for commits that sit on the base
    without the rest of the series (a set of fixes applied alone): each
    compiles what its diff reaches among the objects the whole series
    built at its last patch (the build check ran first), judged against
    the base; the check tree is where the caller put it.  Returns
    (problems, {label: objects compiled})."""
    out = build_tree.build_dir(arch, ctx.full)
    tree = build_tree.BuildTree(arch, out)
    known = tree.known()
    if not known:
        return ['no objects known in %s: run the build-%s check first' %
                (out, arch)], {}
    code = ''.join(open(p, encoding='utf-8').read() for p in CODE)
    common = [arch, 'alone', checktree.tree_id('base'),
              kbuild.fragment_lines([arch + '.config']),
              kbuild.compiler(arch), sparse.version(),
              hashlib.sha256(code.encode()).hexdigest()]
    verdicts = store.Store(None, os.path.join(out, '.verdicts.json'))
    steps = commit_steps(tree, commits, common, verdicts, known, False)
    base_key = store.key(common, 'base findings')
    cache = verdicts.get(base_key) or {}
    wanted = {o for _, _, v, found, _ in steps if v is None for o in found}
    base = base_findings(tree, wanted, cache)
    verdicts.put(base_key, cache)
    return settle(steps, base, verdicts, '      ')
