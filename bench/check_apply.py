# SPDX-License-Identifier: GPL-2.0
"""Checks on the series as patches: it applies, it avoids Debian's files."""

import os
import shutil

import base
from common import Failure, Timer, git, run
from series import git_am


def prepare_tree(ctx, base_git):
    """The check tree: a clone of the base repository, at base."""
    tree = ctx.tree
    want = git(base_git, 'rev-parse', 'base^{commit}')
    if os.path.isdir(os.path.join(tree, '.git')):
        have = git(tree, 'rev-parse', '-q', '--verify', 'base^{commit}',
                   check=False)
        if have != want:
            shutil.rmtree(tree)
    if not os.path.isdir(os.path.join(tree, '.git')):
        with Timer('check out the base into %s' % tree):
            os.makedirs(os.path.dirname(tree), exist_ok=True)
            shutil.rmtree(tree + '.tmp', ignore_errors=True)
            run(['git', 'clone', '-q', '--no-checkout', base_git,
                 tree + '.tmp'])
            git(tree + '.tmp', 'checkout', '-q', '--detach', 'base')
            os.replace(tree + '.tmp', tree)
    git(tree, 'config', 'user.name', 'dumb-kmap check')
    git(tree, 'config', 'user.email', 'check@example.invalid')
    run(['git', '-C', tree, 'am', '--abort'], check=False)
    # Only the files that differ from base are rewritten, so build trees
    # keep everything else up to date.
    git(tree, 'checkout', '-q', '-f', '--detach', 'base')
    git(tree, 'clean', '-q', '-fdx')


def apply(ctx):
    base_git, _ = base.ensure_base()
    prepare_tree(ctx, base_git)
    if not ctx.patches:
        return ['series/ holds no patches']
    try:
        git_am(ctx.tree, ctx.patches)
    except Failure as err:
        return str(err).splitlines()
    shas = git(ctx.tree, 'rev-list', '--reverse', 'base..HEAD').split()
    ctx.commits = list(zip(shas, [os.path.basename(p) for p in ctx.patches]))
    return []


def debian_overlap(ctx):
    with open(base.DEBIAN_TOUCHED, encoding='utf-8') as f:
        debian = set(f.read().split())
    touched = git(ctx.tree, 'diff', '--name-only', 'base', 'HEAD').split()
    both = sorted(set(touched) & debian)
    print('    %d files touched by the series, %d changed by Debian\'s '
          'patches, %d in both' % (len(touched), len(debian), len(both)))
    return ['%s: changed by a Debian patch, so the series would not apply '
            'to upstream v7.3.4 as it does here' % p for p in both]
