# SPDX-License-Identifier: GPL-2.0
"""check_kunit's verdict on parsed KUnit runs: kunit.py counts a skipped
test as a success, the check must not for the series' suites."""

import unittest

import check_kunit
import parse
from tests.helpers import data, kunit_tool


def skip_suite(text, suite):
    """The log with every case of one suite turned into a skip."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.strip() == '# Subtest: %s' % suite:
            inside = True
        elif inside and line.lstrip().startswith(('ok ', 'not ok ')) and \
                line.strip().endswith(' ' + suite):
            inside = False
        elif inside and line.lstrip().startswith('ok ') and \
                '# SKIP' not in line:
            line += ' # SKIP no DMA support'
        lines.append(line)
    return '\n'.join(lines)


class Verdict(unittest.TestCase):
    def setUp(self):
        self.tool = kunit_tool()
        self.log = data('kunit-um-drm.log')

    def parsed(self, text):
        return parse.ktap(text, self.tool)

    def test_recorded_run_passes(self):
        got = check_kunit.verdict('um', self.parsed(self.log),
                                  ['drm_gem_dma', 'dma_vmap',
                                   'dma_vmap_iommu'])
        self.assertEqual(got, [])

    def test_series_suite_skipped_fails(self):
        text = skip_suite(self.log, 'drm_gem_dma')
        got = check_kunit.verdict('um', self.parsed(text), ['drm_gem_dma'])
        self.assertTrue(got)
        self.assertTrue(all('drm_gem_dma.' in p for p in got), got)

    def test_listed_skip_passes(self):
        got = check_kunit.verdict('um', self.parsed(self.log),
                                  ['dma_vmap', 'dma_vmap_iommu'])
        self.assertEqual(got, [])
        # ... but not on arm64, where those cases must run.
        got = check_kunit.verdict('arm64', self.parsed(self.log),
                                  ['dma_vmap', 'dma_vmap_iommu'])
        self.assertEqual(len(got), 11, got)
        # ... and on UML only the one case of dma_vmap that is listed.
        text = skip_suite(self.log, 'dma_vmap')
        got = check_kunit.verdict('um', self.parsed(text), ['dma_vmap'])
        self.assertEqual(len(got), 5, got)

    def test_missing_suite_fails(self):
        got = check_kunit.verdict('um', self.parsed(self.log),
                                  ['rockchip_drm'])
        self.assertEqual(got, ['the series\' suite rockchip_drm did not '
                               'run'])

    def test_failure_fails(self):
        lines = self.log.splitlines()
        i = next(i for i, ln in enumerate(lines)
                 if ln.lstrip().startswith('ok ') and 'drm_gem_dma_test' in ln)
        lines[i] = lines[i].replace('ok ', 'not ok ', 1)
        got = check_kunit.verdict('um', self.parsed('\n'.join(lines)),
                                  ['drm_gem_dma'])
        self.assertTrue(any(': fail' in p for p in got), got)


class Reports(unittest.TestCase):
    """A kernel report printed while one of the series' suites ran fails
    the run, although every case passed; elsewhere it is only a note."""

    def setUp(self):
        self.tool = kunit_tool()

    def test_report_in_series_suite_fails(self):
        # dma_vmap freed a stack sg table from its cleanup: slub WARNING.
        text = data('kunit-arm-report.log')
        result = parse.ktap(text, self.tool)
        self.assertEqual(result.counts.failed, 0)
        got = check_kunit.verdict('arm', result, ['dma_vmap'], text=text)
        self.assertEqual(len(got), 1, got)
        self.assertIn('during the series\' suite dma_vmap: WARNING: '
                      'mm/slub.c', got[0])
        self.assertEqual(check_kunit.verdict('arm', result, ['dma_vmap']),
                         [])

    def test_report_elsewhere_is_a_note(self):
        log = data('kunit-um-drm.log')
        notes = []
        got = check_kunit.verdict('um', parse.ktap(log, self.tool),
                                  ['drm_gem_dma', 'dma_vmap',
                                   'dma_vmap_iommu'], notes, log)
        self.assertEqual(got, [])
        self.assertTrue(any('WARNING: drivers/gpu/drm/drm_atomic.c' in n
                            for n in notes), notes)

    def test_timestamps(self):
        text = '\n'.join('[   %d.000000] %s' % (i, line) for i, line in
                         enumerate(data('kunit-arm-report.log')
                                   .splitlines()))
        self.assertEqual(list(check_kunit.suite_reports(text)),
                         ['dma_vmap'])


if __name__ == '__main__':
    unittest.main()
