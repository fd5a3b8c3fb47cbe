# SPDX-License-Identifier: GPL-2.0
"""results.py and the runner: the summary's last line, exit statuses,
JUnit XML, the checks --only selects."""

import unittest
import xml.etree.ElementTree as ET

import checks
import results
from common import Failure


def result(name, outcome, problems=()):
    return results.Result(name, 'ci', 'what', result=outcome, seconds=3.4,
                          log='/tmp/%s.log' % name, problems=list(problems))


class Summary(unittest.TestCase):
    def test_last_line(self):
        lines = results.table([result('apply', 'pass'),
                               result('checkpatch', 'fail', ['x']),
                               result('kunit-um', 'error', ['no network'])])
        self.assertEqual(lines[-1], '1 passed, 2 failed')
        self.assertIn('/tmp/checkpatch.log', lines[2])

    def test_exit_status(self):
        self.assertEqual(results.exit_status([result('a', 'pass')]), 0)
        self.assertEqual(results.exit_status([result('a', 'pass'),
                                              result('b', 'fail')]), 1)
        # An infrastructure failure wins: the run proves nothing.
        self.assertEqual(results.exit_status([result('a', 'fail'),
                                              result('b', 'error')]), 2)
        self.assertEqual(results.exit_status([result('a', 'not-run')]), 1)

    def test_junit(self):
        xml = results.junit([result('apply', 'pass'),
                             result('headers', 'fail', ['a.c does not build']),
                             result('kunit-um', 'error', ['no network'])], 0)
        suite = ET.fromstring(xml).find('testsuite')
        self.assertEqual((suite.get('tests'), suite.get('failures'),
                          suite.get('errors')), ('3', '1', '1'))
        cases = suite.findall('testcase')
        self.assertIsNone(cases[0].find('failure'))
        self.assertEqual(cases[1].find('failure').get('message'),
                         'a.c does not build')
        self.assertIsNotNone(cases[2].find('error'))


class Selection(unittest.TestCase):
    def test_only_runs_what_a_check_needs(self):
        names = [c.name for c in checks.select(False, ['headers'])]
        self.assertEqual(names, ['apply', 'build-x86_64', 'build-arm',
                                 'build-arm64', 'headers'])

    def test_runtime_needs_selftests(self):
        names = [c.name for c in checks.select(False, ['runtime-arm'])]
        self.assertIn('kselftest-build', names)
        self.assertLess(names.index('kselftest-build'),
                        names.index('runtime-arm'))

    def test_unknown(self):
        with self.assertRaises(Failure):
            checks.select(False, ['no-such-check'])

    def test_tiers(self):
        ci = {c.name for c in checks.select(False, None)}
        full = {c.name for c in checks.select(True, None)}
        self.assertLess(ci, full)
        self.assertIn('workbench', ci)
        self.assertNotIn('kunit-arm64', ci)
        self.assertEqual(checks.CHECKS[0].name, 'workbench')

    def test_blocked_check_fails(self):
        check = checks.Check('x', 'ci', ('apply',), lambda ctx: [], 'x')
        got = checks.run_one(check, None, {'apply': 'fail'})
        self.assertEqual(got.result, 'fail')
        self.assertIn('apply did not pass', got.problems[0])


if __name__ == '__main__':
    unittest.main()
