# SPDX-License-Identifier: GPL-2.0
"""Checks on the sets of series/ (bench/sets.py), as maintainers take them.

sets: every set has a cover letter whose subject counts its patches,
names the base (v7.3.4), and ends with b4's lines: one change-id of b4's
form, unique; a prerequisite-change-id for each set it needs, each an
earlier set; the prerequisite-patch-id of every patch of what it needs,
in stack order, and nothing else.  Each set applies (git am, no 3-way)
to the base with only what it needs under it.

sets-alone: each set that needs nothing (the fixes) builds applied to the
base alone, on every arch: what each patch's diff reaches, with W=1 and
sparse, no finding the base does not have, as the CI build checks judge a
patch of the whole stack.  Debian's b4 (0.12) cannot check prerequisites:
it has no prerequisite support offline, so the sets check does it.
"""

import os
import re

import check_build
import checktree
import sets
from common import COVER, SERIES, Failure, git, patch_label, read_text, say
from series import git_am

SUBJECT = re.compile(r'^Subject: \[PATCH(?: [^]]*)? (\d+)/(\d+)\]', re.M)


def structure(all_sets):
    """What is wrong with the layout and the cover letters."""
    problems = []
    stray = sorted(n for n in os.listdir(SERIES)
                   if not os.path.isdir(os.path.join(SERIES, n)) or
                   not n[:2].isdigit())
    problems += ['series/%s: not in a set (series/NN-topic/)' % n
                 for n in stray]
    if not all_sets:
        return problems + ['series/ holds no set']
    seen = {}
    for i, one in enumerate(all_sets):
        where = '%s/%s' % (one.name, COVER)
        if not one.patches:
            problems.append('%s: no patch' % one.name)
        if not os.path.exists(one.cover):
            problems.append('%s: missing' % where)
            continue
        text = read_text(one.cover)
        m = SUBJECT.search(text)
        if not m or m.group(1) != '0' or \
                int(m.group(2)) != len(one.patches):
            problems.append('%s: the subject does not say [PATCH 0/%d]' %
                            (where, len(one.patches)))
        for n, path in enumerate(one.patches, 1):
            p = SUBJECT.search(read_text(path))
            if not p or (int(p.group(1)), int(p.group(2))) != \
                    (n, len(one.patches)):
                problems.append('%s: the subject does not say [PATCH %d/%d]'
                                % (patch_label(path), n, len(one.patches)))
        if 'v7.3.4' not in text:
            problems.append('%s: does not name the base, v7.3.4' % where)
        if len(one.change_ids) != 1:
            problems.append('%s: %d change-id lines, want one' %
                            (where, len(one.change_ids)))
        elif not sets.CHANGE_ID_FORM.match(one.change_id):
            problems.append('%s: change-id %s is not of b4\'s form '
                            '(YYYYMMDD-slug-<12 hex>)' %
                            (where, one.change_id))
        elif one.change_id in seen:
            problems.append('%s: change-id %s is also %s\'s' % (
                where, one.change_id, seen[one.change_id]))
        else:
            seen[one.change_id] = one.name
        earlier = {s.change_id for s in all_sets[:i]}
        for cid, version in zip(one.prereq_changes, one.prereq_versions):
            if cid not in earlier:
                problems.append('%s: prerequisite %s is not an earlier set'
                                % (where, cid))
            if version != '1':
                problems.append('%s: prerequisite %s: want version :v1' %
                                (where, cid))
        needed = sets.needs(all_sets, one)
        if one.prereq_changes != [s.change_id for s in needed]:
            problems.append('%s: prerequisite-change-id lines %s, want every '
                            'set it needs, directly or not, in stack order: '
                            '%s (make export writes them)' % (
                                where, ' '.join(one.prereq_changes) or
                                'none', ' '.join(s.name for s in needed)))
        want = [sets.patch_id(p) for s in needed for p in s.patches]
        if one.prereq_patches != want:
            problems.append('%s: %d prerequisite-patch-id lines, want the %d '
                            'patches of the sets it needs, in order (make '
                            'export writes them)' % (
                                where, len(one.prereq_patches), len(want)))
    return problems


def check_sets(_ctx):
    all_sets = sets.load()
    problems = structure(all_sets)
    if problems:
        return problems
    with checktree.checked_out():
        for one in all_sets:
            under = sets.needs(all_sets, one)
            checktree.switch('base')
            try:
                git_am(checktree.TREE,
                       [p for s in under for p in s.patches] + one.patches)
            except Failure as err:
                problems.append('%s on the base with %s: %s' % (
                    one.name, ', '.join(s.name for s in under) or 'nothing',
                    str(err).splitlines()[0]))
                continue
            say('    %s: %d patches apply to the base with %s under them' % (
                one.name, len(one.patches),
                ', '.join(s.name for s in under) or 'nothing'))
    return problems


def alone(ctx):
    """Each set that needs nothing, on the base alone, every arch."""
    standalone = [s for s in sets.load() if not s.prereq_changes]
    if not standalone:
        return ['no set stands alone: the fixes should']
    problems = []
    with checktree.checked_out():
        for one in standalone:
            checktree.switch('base')
            git_am(checktree.TREE, one.patches)
            shas = git(checktree.TREE, 'rev-list', '--reverse',
                       'base..HEAD').split()
            if len(shas) != len(one.patches):
                problems.append('%s: %d patches made %d commits' % (
                    one.name, len(one.patches), len(shas)))
                continue
            commits = list(zip(shas, [patch_label(p) for p in one.patches]))
            compiled = {label: 0 for _, label in commits}
            for arch in check_build.SRCARCH:
                say('    %s alone, %s:' % (one.name, arch))
                found, counts = check_build.steps_alone(ctx, arch, commits)
                problems += ['%s alone, %s: %s' % (one.name, arch, p)
                             for p in found]
                for label, count in counts.items():
                    compiled[label] += count
            problems += ['%s: compiled nothing on any arch: the build trees '
                         'do not build what it touches' % label
                         for label, count in compiled.items() if not count]
    return problems
