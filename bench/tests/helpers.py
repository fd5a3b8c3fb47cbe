# SPDX-License-Identifier: GPL-2.0
"""What the tests share: recorded data, kunit.py's parser, and a small git
tree standing in for the check tree."""

import os
import shutil
import subprocess
import tempfile
import unittest

import checktree

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')


def kunit_tool():
    """tools/testing/kunit of a kernel tree, from KUNIT_TOOL."""
    tool = os.environ.get('KUNIT_TOOL')
    if not tool or not os.path.exists(os.path.join(tool, 'kunit_parser.py')):
        raise RuntimeError('set KUNIT_TOOL to a kernel tree\'s '
                           'tools/testing/kunit (the workbench check does)')
    return tool


def data(name):
    with open(os.path.join(DATA, name), encoding='utf-8',
              errors='replace') as f:
        return f.read()


class CheckTreeCase(unittest.TestCase):
    """A test on a new git tree in a temporary directory, set as
    checktree.TREE for the test and put back afterwards."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.saved_tree = checktree.TREE
        checktree.TREE = self.dir
        self.git('init', '-q')

    def tearDown(self):
        checktree.TREE = self.saved_tree
        shutil.rmtree(self.dir)

    def git(self, *args):
        return subprocess.run(['git', '-C', self.dir, '-c', 'user.name=t',
                               '-c', 'user.email=t@t'] + list(args),
                              check=True, capture_output=True,
                              text=True).stdout.strip()
