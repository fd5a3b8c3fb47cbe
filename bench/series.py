# SPDX-License-Identifier: GPL-2.0
"""Apply the series to a tree, and export a tree's commits as the series."""

import os
import re
import shutil
import tempfile

import sets
from common import (COVER, WORKTREE, Failure, Timer, git, read_text, run,
                    say, series_patches, write_atomic)

PATCH_FROM = 'Dumb KMap Series <dumb-kmap-series@example.invalid>'


def clean_or_fail(tree):
    if os.path.isdir(os.path.join(tree, '.git', 'rebase-apply')):
        raise Failure('%s has a git am in progress: finish it or run '
                      '"git -C %s am --abort"' % (tree, tree))
    dirty = git(tree, 'status', '--porcelain', '--untracked-files=no')
    if dirty:
        raise Failure('%s has uncommitted changes; commit or stash them '
                      'first:\n%s' % (tree, '\n'.join(dirty.splitlines()[:10])))


def git_am(tree, patches):
    """git am every patch, no 3-way fallback; name the one that fails."""
    for path in patches:
        code, out = run(['git', '-C', tree, 'am', '--no-3way', '-q', path],
                        check=False)
        if code != 0:
            run(['git', '-C', tree, 'am', '--abort'], check=False)
            # git am's advice on resolving does not apply: we aborted.
            advice = ('hint:', 'When you have', 'Patch failed',
                      'If you prefer', 'To restore')
            lines = [ln for ln in (out or '').splitlines()
                     if not ln.startswith(advice)]
            raise Failure('%s does not apply (git am aborted):\n%s' %
                          (os.path.basename(path), '\n'.join(lines)))


def patch_ids(tree, rev_range):
    """Stable patch ids of the commits in rev_range, in order."""
    _, out = run(['bash', '-o', 'pipefail', '-c',
                  'git -C "$1" format-patch --stdout "$2" | '
                  'git patch-id --stable', 'ids', tree, rev_range])
    return [line.split()[0] for line in out.splitlines()]


def file_patch_ids(paths):
    ids = []
    for path in paths:
        _, out = run(['bash', '-c', 'git patch-id --stable < "$1"', 'id',
                      path])
        ids.append(out.split()[0] if out.strip() else '')
    return ids


def make_worktree(base_git):
    """Create build/linux from the base repository if it is not there."""
    if os.path.isdir(os.path.join(WORKTREE, '.git')):
        if not git(WORKTREE, 'rev-parse', '-q', '--verify', 'base',
                   check=False):
            raise Failure('%s exists but has no tag "base": move it away '
                          'and run again' % WORKTREE)
        return False
    os.makedirs(os.path.dirname(WORKTREE), exist_ok=True)
    with Timer('check out the base into build/linux'):
        tmp = WORKTREE + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        run(['git', 'clone', '-q', '--no-checkout', base_git, tmp])
        git(tmp, 'checkout', '-q', '-b', 'series', 'base')
        git(tmp, 'config', 'user.name', PATCH_FROM.split(' <')[0])
        git(tmp, 'config', 'user.email', PATCH_FROM.split('<')[1][:-1])
        os.replace(tmp, WORKTREE)
    return True


def apply_to_worktree(base_git, force=False):
    """Bring build/linux to base + series; return a short report."""
    make_worktree(base_git)
    clean_or_fail(WORKTREE)
    patches = series_patches()
    have = patch_ids(WORKTREE, 'base..HEAD')
    want = file_patch_ids(patches)
    if have == want:
        return 'build/linux already holds base + series (%d patches)' % \
            len(patches)
    if have and not force:
        raise Failure('build/linux has commits on top of base that differ '
                      'from series/: export them first ("make export"), or '
                      'run "make FORCE=1" to reset build/linux to the series')
    git(WORKTREE, 'checkout', '-q', '-B', 'series', 'base')
    with Timer('git am %d patches onto build/linux' % len(patches)):
        git_am(WORKTREE, patches)
    return 'applied %d patches to build/linux' % len(patches)


def apply_to_user_tree(tree, branch):
    """Apply the series on a new branch of someone else's tree."""
    tree = os.path.abspath(tree)
    if not os.path.isdir(tree) or git(tree, 'rev-parse', '--is-inside-work-tree',
                                      check=False) != 'true':
        raise Failure('%s is not a git work tree' % tree)
    clean_or_fail(tree)
    if git(tree, 'rev-parse', '-q', '--verify', 'refs/heads/' + branch,
           check=False):
        raise Failure('branch %s exists in %s already: name another with '
                      'BRANCH=...' % (branch, tree))
    start = git(tree, 'rev-parse', '--abbrev-ref', 'HEAD')
    if start == 'HEAD':
        start = git(tree, 'rev-parse', 'HEAD')
    git(tree, 'checkout', '-q', '-b', branch)
    try:
        git_am(tree, series_patches())
    except Failure as err:
        git(tree, 'checkout', '-q', start)
        git(tree, 'branch', '-q', '-D', branch)
        raise Failure('%s\n%s is back on %s; branch %s was removed' % (
            err, tree, start, branch)) from err
    return 'applied %d patches to %s on branch %s (from %s)' % (
        len(series_patches()), tree, branch, start)


def export():
    """Write build/linux's base..HEAD back into the sets of series/.

    A commit goes to the set that holds a patch of the same name (the
    subject, as format-patch spells it); a commit no set knows (new, or
    with a new subject) goes to the set of the commit before it, and is
    named, so that it can be moved.  The sets stay in stack order."""
    if not os.path.isdir(os.path.join(WORKTREE, '.git')):
        raise Failure('no build/linux: run "make" first')
    clean_or_fail(WORKTREE)
    shas = git(WORKTREE, 'rev-list', '--reverse', 'base..HEAD').split()
    if not shas:
        raise Failure('build/linux has no commits on top of base')
    old_sets = sets.load()
    if not old_sets:
        raise Failure('series/ holds no set: make a directory series/NN-topic '
                      'for each set (README.md, "The sets")')
    tmp = tempfile.mkdtemp(prefix='export-')
    try:
        every = os.path.join(tmp, 'all')
        run(['git', '-C', WORKTREE, 'format-patch', '-q', '--zero-commit',
             '--no-signature', '-o', every, 'base..HEAD'])
        slugs = [n[5:] for n in sorted(os.listdir(every))]
        home = {os.path.basename(p)[5:]: i for i, one in enumerate(old_sets)
                for p in one.patches}
        where, unknown = [], []
        for slug in slugs:
            if slug in home:
                where.append(home[slug])
            else:
                where.append(where[-1] if where else 0)
                unknown.append('%s -> %s' % (slug, old_sets[where[-1]].name))
        back = [slugs[k] for k in range(1, len(where))
                if where[k] < where[k - 1]]
        if back:
            raise Failure('the commits are not in set order; these come after '
                          'a commit of a later set:\n  ' + '\n  '.join(back))
        changed = removed = 0
        for i, one in enumerate(old_sets):
            mine = [k for k, w in enumerate(where) if w == i]
            if not mine:
                raise Failure('set %s would be empty: move a commit to it or '
                              'remove its directory' % one.name)
            out = os.path.join(tmp, one.name)
            run(['git', '-C', WORKTREE, 'format-patch', '-q', '--zero-commit',
                 '--no-signature', '--numbered', '--cover-letter', '-o', out,
                 '%s^..%s' % (shas[mine[0]], shas[mine[-1]])])
            c, r = write_set(one, out, len(mine))
            changed += c
            removed += r
        # merge_cover() dropped the b4 lines with the old shortlog: write
        # them again from what the cover letters said before.
        fresh = sets.load()
        for now, before in zip(fresh, old_sets):
            now.change_id = before.change_id
            now.prereq_changes = before.prereq_changes
        for one in fresh:
            write_atomic(one.cover, read_text(one.cover).rstrip('\n') +
                         '\n\n---\n' + sets.trailer(fresh, one))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for line in unknown:
        say('new patch, put in the set of the one before it: ' + line)
    return 'exported %d patches to %d sets in series/ (%d files written, %d ' \
        'removed)' % (len(shas), len(old_sets), changed, removed)


def write_set(one, out, count):
    """Write one set's fresh patches over its directory; keep the cover
    letter's text."""
    new = sorted(n for n in os.listdir(out) if n != COVER)
    changed = 0
    for name in new:
        data = open(os.path.join(out, name), 'rb').read()
        dst = os.path.join(one.path, name)
        if not os.path.exists(dst) or \
                same_but_abbrev(open(dst, 'rb').read()) != \
                same_but_abbrev(data):
            changed += 1
            with open(dst, 'wb') as f:
                f.write(data)
    gone = [p for p in one.patches if os.path.basename(p) not in new]
    for path in gone:
        os.unlink(path)
    cover = merge_cover(one.cover, os.path.join(out, COVER), count)
    with open(one.cover, 'w', encoding='utf-8') as f:
        f.write(cover)
    return changed, len(gone)


def same_but_abbrev(data):
    """A patch without its index lines' blob ids, whose abbreviated length
    git chooses by the size of the repository."""
    return re.sub(rb'(?m)^index [0-9a-f]+\.\.[0-9a-f]+', b'index', data)


SHORTLOG = re.compile(r'^\S.* \(\d+\):$', re.M)


def merge_cover(kept_path, fresh_path, count):
    """Keep the hand-written part of the cover letter, refresh the rest.

    The kept cover letter's headers and text stay; the patch count in its
    subject, the shortlog and the diffstat come from the fresh one.
    """
    fresh = open(fresh_path, encoding='utf-8').read()
    if not os.path.exists(kept_path):
        return fresh
    kept = open(kept_path, encoding='utf-8').read()
    kept = re.sub(r'^Subject: \[PATCH( [^]]*)? 0/\d+\]',
                  lambda m: 'Subject: [PATCH%s 0/%d]' % (m.group(1) or '',
                                                        count),
                  kept, count=1, flags=re.M)
    m_kept = SHORTLOG.search(kept)
    m_fresh = SHORTLOG.search(fresh)
    if not m_kept or not m_fresh:
        say('warning: cover letter has no shortlog; left as it is')
        return kept
    return kept[:m_kept.start()] + fresh[m_fresh.start():]
