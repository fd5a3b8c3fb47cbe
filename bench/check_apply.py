# SPDX-License-Identifier: GPL-2.0
"""Checks on the series as patches: it applies, it avoids Debian's files."""


import base
import checktree
from common import Failure, git, patch_label, say
from series import git_am


def apply(ctx):
    base_git, _ = base.ensure_base()
    checktree.prepare(base_git)
    if not ctx.patches:
        return ['series/ holds no patches']
    try:
        git_am(checktree.TREE, ctx.patches)
    except Failure as err:
        return str(err).splitlines()
    shas = [sha for sha, _ in checktree.commits()]
    if len(shas) != len(ctx.patches):
        return ['%d patches made %d commits' % (len(ctx.patches), len(shas))]
    ctx.commits = list(zip(shas, [patch_label(p) for p in ctx.patches]))
    say('    %d patches applied to the base in %s' % (len(shas),
                                                      checktree.TREE))
    return []


def debian_overlap(_ctx):
    with open(base.DEBIAN_TOUCHED, encoding='utf-8') as f:
        debian = set(f.read().split())
    if not debian:
        return ['%s lists no file: the base repository is broken; remove '
                '%s and run again' % (base.DEBIAN_TOUCHED, base.BASE_DIR)]
    touched = git(checktree.TREE, 'diff', '--name-only', 'base',
                  'HEAD').split()
    if not touched:
        return ['the check tree\'s HEAD changes no file against the base: '
                'the series was not applied']
    both = sorted(set(touched) & debian)
    say('    %d files touched by the series, %d changed by Debian\'s patches, '
        '%d in both' % (len(touched), len(debian), len(both)))
    return ['%s: changed by a Debian patch, so the series would not apply '
            'to upstream v7.3.4 as it does here' % p for p in both]
