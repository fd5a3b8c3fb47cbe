# SPDX-License-Identifier: GPL-2.0
"""The sets of series/ (bench/sets.py) and their structure check, on a
series/ made up in a temporary directory: what a set needs, and each way
a cover letter or a layout can be wrong."""

import os
import shutil
import tempfile
import unittest

import check_sets
import common
import sets

IDS = {'01-fixes': '20261204-t-fixes-0123456789ab',
       '02-core': '20261204-t-core-0123456789ac',
       '03-user': '20261204-t-user-0123456789ad'}
NEEDS = {'01-fixes': [], '02-core': ['01-fixes'],
         '03-user': ['01-fixes', '02-core']}


def patch(n, count, subject):
    return ('From 0000000000000000000000000000000000000000 Mon Sep 17 '
            '00:00:00 2001\nFrom: T <t@t>\nSubject: [PATCH %d/%d] %s\n\n'
            'Why.\n---\n a | 1 +\n\ndiff --git a/a b/a\n--- a/a\n+++ b/a\n'
            '@@ -1 +1,2 @@\n a\n+%s\n' % (n, count, subject, subject))


class Sets(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.saved = common.SERIES, check_sets.SERIES
        common.SERIES = check_sets.SERIES = self.dir
        for name, cid in IDS.items():
            os.makedirs(os.path.join(self.dir, name))
            for n in (1, 2):
                self.write(name, '%04d-p%d.patch' % (n, n),
                           patch(n, 2, '%s %d' % (name, n)))
        for name in IDS:
            self.cover(name)

    def tearDown(self):
        common.SERIES, check_sets.SERIES = self.saved
        shutil.rmtree(self.dir)

    def write(self, name, file, text):
        with open(os.path.join(self.dir, name, file), 'w',
                  encoding='utf-8') as f:
            f.write(text)

    def cover(self, name, count=2, change_id=None, prereqs=None,
              patch_ids=None, base='v7.3.4'):
        prereqs = NEEDS[name] if prereqs is None else prereqs
        if patch_ids is None:
            all_sets = sets.load()
            one = [s for s in all_sets if s.name == name][0]
            one.prereq_changes = [IDS[p] for p in prereqs]
            patch_ids = [sets.patch_id(p) for s in sets.needs(all_sets, one)
                         for p in s.patches]
        text = ('From: T <t@t>\nSubject: [PATCH 0/%d] %s\n\nBase: %s.\n\n'
                '---\nchange-id: %s\n' % (count, name, base,
                                          change_id or IDS[name]))
        text += ''.join('prerequisite-change-id: %s:v1\n' % IDS[p]
                        for p in prereqs)
        text += ''.join('prerequisite-patch-id: %s\n' % i for i in patch_ids)
        self.write(name, common.COVER, text)

    def problems(self):
        return check_sets.structure(sets.load())

    def test_good(self):
        self.assertEqual(self.problems(), [])

    def test_needs_is_transitive_and_in_order(self):
        all_sets = sets.load()
        all_sets[2].prereq_changes = [IDS['02-core']]
        self.assertEqual([s.name for s in sets.needs(all_sets, all_sets[2])],
                         ['01-fixes', '02-core'])
        self.assertEqual(sets.needs(all_sets, all_sets[0]), [])

    def test_trailer_lists_every_patch_needed(self):
        all_sets = sets.load()
        lines = sets.trailer(all_sets, all_sets[2]).splitlines()
        self.assertEqual(lines[0], 'change-id: ' + IDS['03-user'])
        self.assertEqual(lines[1:3],
                         ['prerequisite-change-id: %s:v1' % IDS['01-fixes'],
                          'prerequisite-change-id: %s:v1' % IDS['02-core']])
        self.assertEqual(len([ln for ln in lines if
                              ln.startswith('prerequisite-patch-id: ')]), 4)

    def test_prerequisites_named_only_directly(self):
        self.cover('03-user', prereqs=['02-core'])
        self.assertTrue(any('want every set it needs, directly or not' in p
                            for p in self.problems()))

    def test_count_in_subject(self):
        self.cover('02-core', count=3)
        self.assertIn('02-core/0000-cover-letter.patch: the subject does not '
                      'say [PATCH 0/2]', self.problems())

    def test_patch_numbering(self):
        self.write('01-fixes', '0002-p2.patch', patch(3, 2, 'x'))
        self.assertIn('01-fixes/0002-p2.patch: the subject does not say '
                      '[PATCH 2/2]', self.problems())

    def test_change_id_form_and_uniqueness(self):
        self.cover('01-fixes', change_id='not-a-change-id')
        self.assertTrue(any('is not of b4\'s form' in p
                            for p in self.problems()))
        self.cover('01-fixes', change_id=IDS['02-core'])
        self.assertTrue(any('is also' in p for p in self.problems()))

    def test_prerequisite_must_be_earlier(self):
        self.cover('01-fixes', prereqs=['03-user'], patch_ids=[])
        self.assertTrue(any('is not an earlier set' in p
                            for p in self.problems()))

    def test_stale_patch_ids(self):
        self.cover('03-user', patch_ids=['0' * 40])
        self.assertTrue(any('prerequisite-patch-id' in p
                            for p in self.problems()))

    def test_missing_prerequisite_changes_the_patch_ids(self):
        self.cover('03-user', prereqs=[], patch_ids=None)
        good = self.problems()
        self.assertEqual(good, [])    # a set may need nothing ...
        self.cover('03-user', prereqs=[], patch_ids=['1' * 40])
        self.assertTrue(self.problems())   # ... but then lists no patch

    def test_base_named(self):
        self.cover('01-fixes', base='v7.3')
        self.assertIn('01-fixes/0000-cover-letter.patch: does not name the '
                      'base, v7.3.4', self.problems())

    def test_stray_file(self):
        with open(os.path.join(self.dir, '0001-x.patch'), 'w',
                  encoding='utf-8') as f:
            f.write('x')
        self.assertIn('series/0001-x.patch: not in a set (series/NN-topic/)',
                      self.problems())


if __name__ == '__main__':
    unittest.main()
