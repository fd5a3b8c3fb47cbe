# SPDX-License-Identifier: GPL-2.0
"""The check tree: one clone of the base repository in the cache, with the
series applied by the apply check, shared by every later check.

Only this module moves its HEAD: a check that needs the tree at another
commit (the base, a patch of the series) uses checked_out(), which puts
HEAD back where it was, even when the check fails.  Only the files that
differ are rewritten, so build trees keep everything else up to date.
"""

import contextlib
import os
import shutil

from common import CACHE, Failure, Timer, git, run

TREE = os.path.join(CACHE, 'check', 'linux')
KUNIT_TOOL = os.path.join(TREE, 'tools', 'testing', 'kunit')


def prepare(base_git):
    """Clone the base repository (once) and reset the clone to base."""
    want = git(base_git, 'rev-parse', 'base^{commit}')
    if os.path.isdir(os.path.join(TREE, '.git')):
        have = git(TREE, 'rev-parse', '-q', '--verify', 'base^{commit}',
                   check=False)
        if have != want:
            shutil.rmtree(TREE)
    if not os.path.isdir(os.path.join(TREE, '.git')):
        with Timer('check out the base into %s' % TREE):
            os.makedirs(os.path.dirname(TREE), exist_ok=True)
            shutil.rmtree(TREE + '.tmp', ignore_errors=True)
            run(['git', 'clone', '-q', '--no-checkout', base_git,
                 TREE + '.tmp'])
            git(TREE + '.tmp', 'checkout', '-q', '--detach', 'base')
            os.replace(TREE + '.tmp', TREE)
    git(TREE, 'config', 'user.name', 'dumb-kmap check')
    git(TREE, 'config', 'user.email', 'check@example.invalid')
    run(['git', '-C', TREE, 'am', '--abort'], check=False)
    git(TREE, 'checkout', '-q', '-f', '--detach', 'base')
    git(TREE, 'clean', '-q', '-fdx')


def commits():
    """[(sha, subject)] of base..HEAD, oldest first."""
    out = git(TREE, 'log', '--reverse', '--format=%H %s', 'base..HEAD')
    return [tuple(line.split(' ', 1)) for line in out.splitlines()]


def tree_id(rev):
    return git(TREE, 'rev-parse', rev + '^{tree}')


def changed_files(old, new, filters='ACDMR'):
    return git(TREE, 'diff', '--name-only', '--diff-filter=' + filters,
               old, new).split()


def show(rev, path):
    """A file's content at a commit, or None if it is not there."""
    code, text = run(['git', '-C', TREE, 'show', '%s:%s' % (rev, path)],
                     check=False)
    return text if code == 0 else None


@contextlib.contextmanager
def checked_out(rev=None):
    """The body of the with statement may move the check tree (to rev
    first, if given, and with switch()); HEAD is put back afterwards, even
    when the body fails."""
    head = git(TREE, 'rev-parse', 'HEAD')
    if git(TREE, 'status', '--porcelain', '--untracked-files=no'):
        raise Failure('the check tree %s has uncommitted changes: run the '
                      'apply check again' % TREE)
    if rev:
        switch(rev)
    try:
        yield
    finally:
        git(TREE, 'checkout', '-q', '-f', '--detach', head)


def switch(rev):
    """Check out rev; only inside checked_out()."""
    git(TREE, 'checkout', '-q', '--detach', rev)


def kconfig_changed(old, new):
    """True if a Kconfig file differs between two commits."""
    code, _ = run(['git', '-C', TREE, 'diff', '--quiet', old, new, '--',
                   '*Kconfig*'], check=False)
    return code != 0
