# SPDX-License-Identifier: GPL-2.0
"""What the runtime-each-patch check reads: the programs of a selftests
Makefile, and which patches it boots (a small git tree)."""

import os
import unittest

import check_runtime_points
import guests
from tests import helpers
import selftests
from common import Failure


class MakefileNames(unittest.TestCase):
    def test_assignments(self):
        self.assertEqual(selftests.names(
            'TEST_GEN_PROGS := dumb_buffers exynos_gem\n'
            'LOCAL_HDRS += drm_util.h\n\ninclude ../lib.mk\n'),
            ['dumb_buffers', 'exynos_gem'])

    def test_append_and_continuation(self):
        self.assertEqual(selftests.names(
            'TEST_GEN_PROGS = a\nTEST_GEN_PROGS += b \\\n\tc\n'),
            ['a', 'b', 'c'])

    def test_reassignment_starts_again(self):
        self.assertEqual(selftests.names(
            'TEST_GEN_PROGS := a\nTEST_GEN_PROGS := b\n'), ['b'])

    def test_other_variables_ignored(self):
        self.assertEqual(selftests.names(
            'TEST_GEN_PROGS_EXTENDED := x\nTEST_PROGS := y.sh\n'), [])


class SameFailure(unittest.TestCase):
    GUEST = guests.GUESTS['arm-exynos']

    def test_probe_failing_on_both_is_forgiven(self):
        rows = [('probe.prime_import_vkms', 'fail', 'fail')]
        self.assertEqual(check_runtime_points.same_failure(self.GUEST, rows),
                         {'probe.prime_import_vkms: fail on the patched '
                          'kernel'})

    def test_kselftest_failing_on_both_is_not(self):
        rows = [('dumb_buffers.dumb.new_buffers_read_zero', 'fail', 'fail'),
                ('exynos_gem.gem.contig.no_pinning', 'fail', 'fail')]
        self.assertEqual(check_runtime_points.same_failure(self.GUEST, rows),
                         set())

    def test_new_probe_failure_is_not(self):
        rows = [('probe.import_into_exynos', 'pass', 'fail')]
        self.assertEqual(check_runtime_points.same_failure(self.GUEST, rows),
                         set())


class Points(helpers.CheckTreeCase):
    def setUp(self):
        super().setUp()
        self.commits = []
        self.commit('README', 'base')
        self.git('tag', 'base')

    def commit(self, path, text, label=None):
        full = os.path.join(self.dir, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'a', encoding='utf-8') as f:
            f.write(text + '\n')
        self.git('add', path)
        self.git('commit', '-q', '-m', text)
        if label:
            self.commits.append((self.git('rev-parse', 'HEAD'), label))

    def test_from_the_patch_adding_the_makefile_to_the_one_before_last(self):
        self.commit('kernel/a.c', 'a', '01-x/0001-a.patch')
        self.commit(selftests.MAKEFILE, 'TEST_GEN_PROGS := t',
                    '02-y/0001-t.patch')
        self.commit('kernel/b.c', 'b', '02-y/0002-b.patch')
        self.commit(selftests.MAKEFILE, 'TEST_GEN_PROGS += u',
                    '03-z/0001-u.patch')
        self.commit('kernel/c.c', 'c', '03-z/0002-c.patch')
        self.assertEqual([label for _, label in
                          check_runtime_points.points(self.commits)],
                         ['02-y/0001-t.patch', '02-y/0002-b.patch',
                          '03-z/0001-u.patch'])
        self.assertEqual(check_runtime_points.tag('03-z/0001-u.patch'),
                         '03-z-0001')

    def test_no_selftests(self):
        self.commit('kernel/a.c', 'a', '01-x/0001-a.patch')
        with self.assertRaises(Failure):
            check_runtime_points.points(self.commits)


if __name__ == '__main__':
    unittest.main()
