# SPDX-License-Identifier: GPL-2.0
"""The workbench's own tests (bench/tests): its parsers and verdicts fed
with recorded consoles, TAP, KUnit and tool output, good and broken.

They run first, with the standard library's unittest, against kunit.py's
parser taken from the base (tools/testing/kunit), the same parser the
checks use.  The check fails unless unittest ran every test it found and
none was skipped.
"""

import os
import re
import subprocess
import sys

import base
from common import CACHE, TOP, InfraFailure, run, say

TESTS = os.path.join(TOP, 'bench', 'tests')


def kunit_tool():
    """tools/testing/kunit of the base, unpacked once into the cache."""
    base_git, _ = base.ensure_base()
    tree = run(['git', '--git-dir', base_git, 'rev-parse',
                'base:tools/testing/kunit'])[1].strip()
    out = os.path.join(CACHE, 'tools', 'kunit-' + tree[:12])
    if not os.path.isdir(out):
        tmp = out + '.tmp'
        os.makedirs(tmp, exist_ok=True)
        proc = subprocess.run(
            ['sh', '-c', 'git --git-dir "$1" archive '
             'base:tools/testing/kunit | tar -x -C "$2"', 'sh', base_git,
             tmp], check=False, capture_output=True, text=True)
        if proc.returncode:
            raise InfraFailure('cannot unpack kunit.py from the base: %s'
                               % proc.stderr)
        os.replace(tmp, out)
    return out


def unit_tests(_ctx):
    tool = kunit_tool()
    code, out = run([sys.executable, '-m', 'unittest', 'discover', '-v',
                     '-s', TESTS, '-t', os.path.join(TOP, 'bench')],
                    check=False, env={'KUNIT_TOOL': tool})
    ran = re.search(r'^Ran (\d+) tests? in ', out, re.M)
    skipped = re.search(r'skipped=(\d+)', out)
    say('    %s tests of bench/tests, with kunit.py\'s parser from %s' % (
        ran.group(1) if ran else 'no', tool))
    problems = []
    if code or not ran or int(ran.group(1)) == 0:
        problems.append('unittest exited %d' % code)
    if skipped:
        problems.append('%s tests skipped' % skipped.group(1))
    if problems:
        problems += [ln for ln in out.splitlines()
                     if re.search(r'\b(FAIL|ERROR|skipped)\b', ln)][:40]
        problems += out.splitlines()[-15:]
    return problems
