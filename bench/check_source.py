# SPDX-License-Identifier: GPL-2.0
"""Checks on the patched source tree as a whole."""

import os

import checktree
from common import CONFIGS, Failure, run, say

OPT_IN_LIST = os.path.join(CONFIGS, 'gem-dma-opt-in.txt')
OPT_IN_CALLS = ('drm_gem_dma_dumb_create_no_kmap',
                'drm_gem_dma_dumb_create_attrs',
                'drm_gem_dma_create_attrs')


def gem_dma_opt_in(_ctx):
    """Only the drivers listed in configs/gem-dma-opt-in.txt call the GEM DMA
    helpers that allocate without a kernel mapping; every other driver keeps
    a mapping for every buffer."""
    allowed = set()
    if os.path.exists(OPT_IN_LIST):
        for line in open(OPT_IN_LIST, encoding='utf-8'):
            line = line.split('#', 1)[0].strip()
            if line:
                allowed.add(line.rstrip('/'))
    pattern = r'\b(%s)\b' % '|'.join(OPT_IN_CALLS)
    code, out = run(['git', '-C', checktree.TREE, 'grep', '-l', '-E', pattern,
                     '--',
                     'drivers/gpu/drm',
                     ':!drivers/gpu/drm/drm_gem_dma_helper.c',
                     ':!drivers/gpu/drm/tests'], check=False)
    if code not in (0, 1):
        raise Failure('git grep failed:\n' + out)
    users = {os.path.dirname(p) for p in (out.split() if code == 0 else [])}
    say('    drivers that opt in: %s' % (', '.join(sorted(users)) or 'none'))
    problems = ['%s calls %s but is not in configs/gem-dma-opt-in.txt' %
                (d, '/'.join(OPT_IN_CALLS)) for d in sorted(users - allowed)]
    problems += ['%s is listed in configs/gem-dma-opt-in.txt but does not '
                 'opt in' % d for d in sorted(allowed - users)]
    return problems
