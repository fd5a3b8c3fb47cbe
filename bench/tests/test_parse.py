# SPDX-License-Identifier: GPL-2.0
"""parse.py on recorded output: TAP and KTAP through kunit.py's parser,
console sections, kernel reports, tool output."""

import unittest

import parse
from tests.helpers import data, kunit_tool


def truncated(text, keep):
    """The first keep lines of a log, as if its writer stopped there."""
    return '\n'.join(text.splitlines()[:keep]) + '\n'


class WithParser(unittest.TestCase):
    """A case that parses with kunit.py's parser."""
    def setUp(self):
        self.tool = kunit_tool()


class KselftestTap(WithParser):

    def test_patched_vkms(self):
        # vkms has no GEM DMA objects: its kernel_mapping cases skip.
        r = parse.ktap(data('kselftest-dumb_buffers-pass.tap'), self.tool)
        self.assertEqual(r.problems, [])
        self.assertEqual(len(r.cases), 20)
        self.assertEqual(set(r.cases.values()), {'pass', 'skip'})
        self.assertEqual(r.cases['garbage_flags.bit31.accepted_and_cleared'],
                         'pass')
        self.assertEqual(r.cases['garbage_flags.bit31.kernel_mapping'],
                         'skip')

    def test_all_skipped_parses_as_skipped(self):
        # The parser reports it faithfully; the runtime verdict rejects it.
        r = parse.ktap(data('kselftest-dumb_buffers-all-skipped.tap'),
                       self.tool)
        self.assertEqual(r.problems, [])
        self.assertEqual(set(r.cases.values()), {'skip'})
        self.assertEqual(r.status, 'skip')

    def test_failures(self):
        # The base kernel does not clear garbage flags.
        r = parse.ktap(data('kselftest-dumb_buffers-base.tap'), self.tool)
        self.assertEqual(r.problems, [])
        self.assertEqual(r.cases['garbage_flags.bit0.accepted_and_cleared'],
                         'fail')
        self.assertEqual(r.status, 'fail')

    def test_truncated_misses_the_plan(self):
        text = data('kselftest-dumb_buffers-pass.tap')
        r = parse.ktap(truncated(text, 20), self.tool)
        self.assertTrue(any('did not report' in p for p in r.problems),
                        r.problems)
        self.assertIn('missing', r.cases.values())

    def test_crashed_mid_test(self):
        text = truncated(data('kselftest-dumb_buffers-pass.tap'), 30)
        text += '[   12.345678] Internal error: Oops: 5 [#1] ARM\n'
        r = parse.ktap(text, self.tool)
        self.assertTrue(r.problems)

    def test_result_out_of_order(self):
        # Every result there, but one numbered wrongly: a parse error.
        text = data('kselftest-dumb_buffers-pass.tap').replace(
            'ok 2 dumb.new_buffers_read_zero', 'ok 7 dumb.new_buffers_read_zero')
        r = parse.ktap(text, self.tool)
        self.assertTrue(any('parse errors' in p for p in r.problems),
                        r.problems)

    def test_bail_out(self):
        text = truncated(data('kselftest-dumb_buffers-pass.tap'), 10)
        text += 'Bail out! no DRM device\n'
        r = parse.ktap(text, self.tool)
        self.assertTrue(any('bailed out' in p for p in r.problems))

    def test_nothing(self):
        r = parse.ktap('', self.tool)
        self.assertTrue(r.problems)
        self.assertEqual(r.cases, {})


class KunitKtap(WithParser):

    def test_good(self):
        r = parse.ktap(data('kunit-um-drm.log'), self.tool)
        self.assertEqual(r.problems, [])
        suites = r.suites()
        self.assertIn('drm_gem_dma', suites)
        self.assertNotIn('fail', r.cases.values())
        self.assertNotIn('crash', r.cases.values())

    def test_truncated(self):
        text = data('kunit-um-drm.log')
        r = parse.ktap(truncated(text, len(text.splitlines()) // 2),
                       self.tool)
        self.assertTrue(r.problems)

    def test_crashed(self):
        text = data('kunit-um-drm.log')
        lines = text.splitlines()
        cut = [i for i, ln in enumerate(lines) if 'drm_gem_dma_test' in ln][3]
        text = '\n'.join(lines[:cut]) + \
            '\nKernel panic - not syncing: Segfault with no mm\n'
        r = parse.ktap(text, self.tool)
        self.assertTrue(r.problems)

    def test_all_skipped(self):
        text = data('kunit-um-drm.log')
        lines = []
        for line in text.splitlines():
            if line.lstrip().startswith('ok ') and '# SKIP' not in line:
                line += ' # SKIP not on this machine'
            lines.append(line)
        r = parse.ktap('\n'.join(lines), self.tool)
        self.assertEqual(r.problems, [])
        self.assertEqual(set(r.cases.values()) - {'skip'}, set())


class Console(unittest.TestCase):
    def test_sections_and_marks(self):
        text = ('junk\n%(m)s up 7.3.4\n%(m)s driver vkms /dev/dri/card1\n'
                '%(m)s begin probe\r\ndumbprobe: prime match=yes\r\n'
                '%(m)s end probe\r\n%(m)s kselftest dumb_buffers exit 0\n'
                '%(m)s done\n' % {'m': parse.MARK})
        self.assertEqual(parse.sections(text),
                         {'probe': 'dumbprobe: prime match=yes\n'})
        self.assertEqual(parse.mark_values(text, 'driver'),
                         ['vkms /dev/dri/card1'])
        self.assertEqual(parse.mark_values(text, 'kselftest'),
                         ['dumb_buffers exit 0'])

    def test_unclosed_section_is_not_a_section(self):
        text = '%s begin probe\ndumbprobe: prime match=yes\n' % parse.MARK
        self.assertEqual(parse.sections(text), {})

    def test_reports(self):
        log = ('[    1.0] exynos-drm exynos-drm: warning: no vblank\n'
               '[    2.0] WARNING: CPU: 0 PID: 1 at mm/page_alloc.c:4700 '
               '__alloc_pages+0x1/0x2\n'
               '[    3.0] DMA-API: preallocated 65536 debug entries\n'
               '[    4.0] DMA-API: pl111 0000: device driver frees DMA '
               'memory with wrong function\n'
               '[    5.0] Internal error: Oops: 5 [#1] ARM\n')
        kinds = [k for k, _ in parse.kernel_reports(log)]
        self.assertEqual(kinds, ['WARNING', 'DMA-API', 'Oops'])
        one = parse.kernel_reports(log)[0]
        self.assertFalse(one[1].startswith('['))

    def test_report_key_ignores_addresses(self):
        a = ('Oops', 'Unable to handle kernel paging request at ffffffed')
        b = ('Oops', 'Unable to handle kernel paging request at ffffffee')
        self.assertEqual(parse.report_key(a), parse.report_key(b))

    def test_probe_lines(self):
        got = parse.probe_lines('dumbprobe: exhaust buffers=11 error=ENOMEM\n'
                                'modetest: setting mode\n')
        self.assertEqual(got, {'exhaust': {'buffers': '11',
                                           'error': 'ENOMEM'}})

    def test_igt_subtests(self):
        got = parse.igt_subtests('Starting subtest: create-clear\n'
                                 'Subtest create-clear: SUCCESS (0.1s)\n'
                                 'Subtest map-uaf: SKIP (0.0s)\n'
                                 'Subtest x: CRASH (0.0s)\n')
        self.assertEqual(got, {'create-clear': 'pass', 'map-uaf': 'skip',
                               'x': 'crash'})


class Tools(unittest.TestCase):
    def test_checker_refused(self):
        log = data('build-sparse-refused.log')
        self.assertTrue(parse.checker_refused(log))
        self.assertEqual(parse.sparse_checked(log), set())

    def test_sparse_checked(self):
        log = data('build-sparse.log')
        self.assertEqual(parse.checker_refused(log), [])
        self.assertIn('drivers/gpu/drm/drm_gem_dma_helper.c',
                      parse.sparse_checked(log))

    def test_findings_skip_progress(self):
        lines = parse.compiler_findings_lines(
            '  CC      drivers/gpu/drm/drm_print.o\n'
            'make[3]: warning: jobserver unavailable\n'
            'drivers/gpu/drm/a.c:3:5: warning: unused variable x\n')
        self.assertEqual(lines, ['drivers/gpu/drm/a.c:3:5: warning: unused '
                                 'variable x'])

    def test_checkpatch_clean(self):
        findings, problems = parse.checkpatch(data('checkpatch-clean.txt'))
        self.assertEqual((findings, problems), ([], []))

    def test_checkpatch_findings_counted(self):
        findings, problems = parse.checkpatch(data('checkpatch-findings.txt'))
        self.assertEqual(problems, [])
        self.assertTrue(findings)

    def test_checkpatch_died(self):
        text = data('checkpatch-findings.txt')
        cut = text[:text.index('total:')]
        _, problems = parse.checkpatch(cut)
        self.assertTrue(any('did not finish' in p for p in problems))

    def test_checkpatch_count_mismatch(self):
        text = data('checkpatch-findings.txt')
        first = text.index('WARNING:') if 'WARNING:' in text else \
            text.index('CHECK:')
        _, problems = parse.checkpatch(text[:first] +
                                       text[first:].split('\n', 1)[1])
        self.assertTrue(any('counted' in p for p in problems))


if __name__ == '__main__':
    unittest.main()
