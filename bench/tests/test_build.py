# SPDX-License-Identifier: GPL-2.0
"""The build checks' bookkeeping: bench/kbuild-record keeps each object's
output, BuildTree reads it back, a header change is told apart from a
header that only grows."""

import os
import shutil
import subprocess
import tempfile
import unittest
import unittest.mock

import build_tree
from tests.helpers import data

RECORD = build_tree.SOURCE


class Record(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        os.makedirs(os.path.join(self.dir, 'drivers'))

    def tearDown(self):
        shutil.rmtree(self.dir)

    def run_record(self, *args, env=None):
        return subprocess.run([RECORD] + list(args), cwd=self.dir,
                              capture_output=True, text=True,
                              env=dict(os.environ, **(env or {})),
                              check=False)

    def test_compiler_output_kept_beside_the_object(self):
        proc = self.run_record('stderr', 'sh', '-c',
                               'echo "a.c:1: warning: x" >&2; exit 3', 'cc',
                               '-o', 'drivers/a.o')
        self.assertEqual(proc.returncode, 3)
        self.assertIn('warning: x', proc.stderr)
        with open(os.path.join(self.dir, 'drivers/a.o.stderr')) as f:
            self.assertEqual(f.read(), 'a.c:1: warning: x\n')

    def test_feature_tests_unrecorded(self):
        proc = self.run_record('stderr', 'sh', '-c', 'echo hi >&2', 'cc',
                               '-o', '/dev/null')
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(os.listdir(os.path.join(self.dir, 'drivers')), [])

    def test_sparse_only_listed_files(self):
        listing = os.path.join(self.dir, 'only')
        with open(listing, 'w') as f:
            f.write('drivers/a.c\n')
        env = {'DUMBKMAP_SPARSE_ONLY': listing, 'srctree': '/src'}
        self.run_record('sparse', 'sh', '-c', 'echo "w: a" >&2', 'x',
                        '/src/drivers/a.c', env=env)
        self.run_record('sparse', 'sh', '-c', 'echo "w: b" >&2', 'x',
                        '/src/drivers/b.c', env=env)
        self.assertEqual(sorted(os.listdir(os.path.join(self.dir,
                                                        'drivers'))),
                         ['a.o.sparse'])


class Findings(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.tree = build_tree.BuildTree('arm', self.dir)
        os.makedirs(os.path.join(self.dir, 'drivers'))
        for name, text in (('a.o', ''), ('a.o.stderr',
                                          '/x/linux/drivers/a.c:12:3: '
                                          'warning: unused variable y\n'),
                           ('a.o.sparse', ''), ('b.o', ''),
                           ('b.o.stderr', '')):
            with open(os.path.join(self.dir, 'drivers', name), 'w') as f:
                f.write(text)
        self.tree.roots = ['/x/linux', self.dir]

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_per_object(self):
        self.assertEqual(self.tree.objects(), {'drivers/a.o', 'drivers/b.o'})
        self.assertEqual(self.tree.findings(['drivers/a.o', 'drivers/b.o']),
                         {'drivers/a.o': {'drivers/a.c: warning: unused '
                                          'variable y'}})

    def test_log_lines_of_records_are_not_counted_twice(self):
        log = ('  CC      drivers/a.o\n'
               '/x/linux/drivers/a.c:12:3: warning: unused variable y\n'
               'Warning: drivers/a.c:3 no description of x\n'
               'drivers/b.o: warning: objtool: f() falls through\n'
               'ld: warning: something global\n')
        self.assertEqual(self.tree.log_findings(log), {
            'drivers/b.o': {'drivers/b.o: warning: objtool: f() falls '
                            'through'},
            '': {'ld: warning: something global'}})

    def test_forget(self):
        self.tree.forget(['drivers/a.o'])
        self.assertEqual(sorted(os.listdir(os.path.join(self.dir,
                                                        'drivers'))),
                         ['b.o', 'b.o.stderr'])

    def test_sparse_refused(self):
        import parse  # pylint: disable=import-outside-toplevel
        self.assertTrue(parse.checker_refused(data('build-sparse-refused.log')))


if __name__ == '__main__':
    unittest.main()


class Subsystems(unittest.TestCase):
    """The directories a build check builds whole at the last patch."""

    CHANGED = ['arch/arm/mm/dma-mapping.c', 'kernel/dma/direct.c',
               'include/linux/dma-mapping.h', 'drivers/gpu/drm/drm_client.c',
               'tools/testing/selftests/drm/Makefile']

    def dirs(self, arch):
        import check_build
        with unittest.mock.patch.object(check_build.checktree,
                                        'changed_files',
                                        return_value=self.CHANGED):
            return check_build.subsystems(arch)

    def test_own_arch_only(self):
        self.assertEqual(self.dirs('x86_64'), ['drivers/gpu/drm/',
                                               'drivers/iommu/',
                                               'kernel/dma/'])
        self.assertEqual(self.dirs('arm'), ['arch/arm/mm/',
                                            'drivers/gpu/drm/',
                                            'drivers/iommu/', 'kernel/dma/'])
        self.assertEqual(self.dirs('arm64'), ['arch/arm64/mm/',
                                              'drivers/gpu/drm/',
                                              'drivers/iommu/',
                                              'kernel/dma/'])
