# SPDX-License-Identifier: GPL-2.0
"""The series as postable sets: what each set is and what it needs.

series/ holds one directory a set, NN-topic/, with the set's cover letter
(0000-cover-letter.patch) and its patches as git format-patch writes them;
the stack is the sets in the order of their names.  A set's cover letter
ends with b4's lines: one "change-id:" naming the set, one
"prerequisite-change-id: <change-id>:v1" for each set it needs, directly
or through another (export writes them all, in stack order, from those
the cover letter named), and, for each patch of those sets, a
"prerequisite-patch-id:" with the patch's stable patch id.  A set with no prerequisite applies to the base alone.
"""

import os
import re

from common import COVER, read_text, run, series_sets

CHANGE_ID = re.compile(r'^change-id: (\S+)$', re.M)
PREREQ_CHANGE = re.compile(r'^prerequisite-change-id: (\S+?)(?::v(\d+))?$',
                           re.M)
PREREQ_PATCH = re.compile(r'^prerequisite-patch-id: (\S+)$', re.M)
# b4's form: the date the set was started, a slug, 12 hex digits.
CHANGE_ID_FORM = re.compile(r'^\d{8}-[a-z0-9-]+-[0-9a-f]{12}$')


class Set:
    """One directory of series/."""

    def __init__(self, path, patches):
        self.path = path
        self.name = os.path.basename(path)
        self.patches = patches
        self.cover = os.path.join(path, COVER)
        text = read_text(self.cover) if os.path.exists(self.cover) else ''
        ids = CHANGE_ID.findall(text)
        self.change_id = ids[0] if len(ids) == 1 else None
        self.change_ids = ids
        prereqs = list(PREREQ_CHANGE.finditer(text))
        self.prereq_changes = [m.group(1) for m in prereqs]
        self.prereq_versions = [m.group(2) for m in prereqs]
        self.prereq_patches = PREREQ_PATCH.findall(text)


def load():
    return [Set(path, patches) for path, patches in series_sets()]


def needs(sets, one):
    """The sets `one` needs, directly or through others, in stack order;
    unknown change-ids are left out (the sets check names them)."""
    by_id = {s.change_id: s for s in sets if s.change_id}
    wanted, todo = set(), list(one.prereq_changes)
    while todo:
        cid = todo.pop()
        if cid in wanted or cid not in by_id:
            continue
        wanted.add(cid)
        todo += by_id[cid].prereq_changes
    return [s for s in sets if s.change_id in wanted]


def patch_id(path):
    _, out = run(['bash', '-c', 'git patch-id --stable < "$1"', 'id', path])
    return out.split()[0] if out.strip() else ''


def trailer(sets, one):
    """The b4 lines that end one's cover letter."""
    lines = ['change-id: %s' % one.change_id] if one.change_id else []
    needed = needs(sets, one)
    lines += ['prerequisite-change-id: %s:v1' % s.change_id for s in needed]
    lines += ['prerequisite-patch-id: %s' % patch_id(p)
              for s in needed for p in s.patches]
    return '\n'.join(lines) + '\n'
