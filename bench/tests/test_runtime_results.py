# SPDX-License-Identifier: GPL-2.0
"""runtime_results.py on recorded consoles: what counts as a result, and
the verdict of the patched kernel against the base."""

import dataclasses
import re
import unittest

import guests
import parse
import runtime_results as rr
from tests.helpers import data, kunit_tool

M = parse.MARK


def without_section(text, name):
    return re.sub(r'%s begin %s\n.*?%s end %s\n' % (M, name, M, name), '',
                  text, flags=re.S)


class Recorded(unittest.TestCase):
    """The x86_64 guest (vkms, kselftest, IGT) and the Exynos guest."""

    def setUp(self):
        self.tool = kunit_tool()
        self.x86 = guests.GUESTS['x86_64-vkms']
        self.exynos = guests.GUESTS['arm-exynos']
        self.x86_patched = data('console-x86_64-vkms-patched.log')
        self.x86_base = data('console-x86_64-vkms-base.log')
        self.exynos_patched = data('console-arm-exynos-patched.log')
        self.exynos_base = data('console-arm-exynos-base.log')

    def read(self, guest, variant, text):
        return rr.read_console(guest, variant, text, self.tool)

    def verdict(self, guest, base_text, patched_text):
        return rr.compare(guest, self.read(guest, 'base', base_text),
                          self.read(guest, 'patched', patched_text))

    def test_recorded_runs_pass(self):
        for guest, base, patched in (
                (self.x86, self.x86_base, self.x86_patched),
                (self.exynos, self.exynos_base, self.exynos_patched)):
            run = self.read(guest, 'patched', patched)
            self.assertTrue(run.finished)
            self.assertEqual(run.incomplete, [])
            self.assertEqual(run.driver, guest.driver)
            rows, problems, _ = self.verdict(guest, base, patched)
            self.assertEqual(problems, [], guest.name)
            self.assertTrue(rows)

    def test_expected_tests_are_there(self):
        run = self.read(self.exynos, 'patched', self.exynos_patched)
        for name in ('probe.prime_import_vkms', 'probe.import_into_exynos',
                     'probe.exhaust_memory',
                     'dumb_buffers.garbage_flags.bit0.accepted_and_cleared'):
            self.assertEqual(run.tests.get(name), 'pass', name)
        run = self.read(self.x86, 'patched', self.x86_patched)
        self.assertTrue(any(n.startswith('igt.dumb_buffer.')
                            for n in run.tests))

    def test_truncated_console_fails(self):
        text = self.exynos_patched[:self.exynos_patched.index(
            '%s begin test-log' % M)]
        run = self.read(self.exynos, 'patched', text)
        self.assertFalse(run.finished)
        _, problems, _ = rr.compare(self.exynos,
                                    self.read(self.exynos, 'base',
                                              self.exynos_base), run)
        self.assertTrue(problems)

    def test_crashed_console_fails(self):
        text = self.exynos_patched[:self.exynos_patched.index(
            '%s kselftest' % M)] + \
            '[   20.1] Internal error: Oops: 17 [#1] ARM\n'
        run = self.read(self.exynos, 'patched', text)
        self.assertIn(['Oops', 'Internal error: Oops: 17 [#1] ARM'],
                      [list(r) for r in run.boot_reports])
        _, problems, _ = rr.compare(
            self.exynos, self.read(self.exynos, 'base', self.exynos_base),
            run)
        self.assertTrue(any('patched kernel only' in p for p in problems))

    def test_missing_probe_fails_whatever_the_base_did(self):
        # The base fails this probe too; missing on the patched kernel it
        # must still fail the check.
        text = re.sub(r'dumbprobe: prime .*\n', '', self.exynos_patched)
        base = re.sub(r'dumbprobe: prime .*\n', '', self.exynos_base)
        _, problems, notes = self.verdict(self.exynos, base, text)
        self.assertTrue(any('probe.prime_import_vkms' in p
                            for p in problems), problems)
        self.assertTrue(any('probe.prime_import_vkms' in n for n in notes))

    def test_kselftest_exit_status(self):
        text = self.exynos_patched.replace(
            '%s kselftest exynos_gem exit 0' % M,
            '%s kselftest exynos_gem exit 1' % M)
        _, problems, _ = self.verdict(self.exynos, self.exynos_base, text)
        self.assertTrue(any('exynos_gem exited 1' in p for p in problems))

    def test_kselftest_section_missing(self):
        text = without_section(self.exynos_patched, 'kselftest-exynos_gem')
        _, problems, _ = self.verdict(self.exynos, self.exynos_base, text)
        self.assertTrue(any('printed no section' in p for p in problems))

    def test_all_skipped_kselftest(self):
        text = re.sub(r'(?m)^(ok \d+ \S+)$', r'\1 # SKIP no device',
                      self.x86_patched)
        _, problems, _ = self.verdict(self.x86, self.x86_base, text)
        self.assertTrue(any('no case passed' in p for p in problems),
                        problems)

    def test_igt_subtest_missing(self):
        text = re.sub(r'Subtest create-clear: SUCCESS.*\n', '',
                      self.x86_patched)
        _, problems, _ = self.verdict(self.x86, self.x86_base, text)
        self.assertTrue(any('igt.dumb_buffer.create-clear' in p
                            for p in problems), problems)

    def test_pass_on_base_skip_on_patched(self):
        name = 'dumb.create_map_write_read'
        text = self.x86_patched.replace('ok 1 %s\n' % name,
                                        'ok 1 %s # SKIP x\n' % name)
        _, problems, _ = self.verdict(self.x86, self.x86_base, text)
        self.assertTrue(any('passes on the base but is skip' in p
                            for p in problems), problems)

    def test_reports(self):
        splat = ('[   30.0] WARNING: ../../check/linux/drivers/gpu/drm/'
                 'drm_gem.c:100 at drm_gem_foo+0x10/0x20, CPU#0: x/1\n')
        at = '%s begin test-log\n' % M
        patched = self.exynos_patched.replace(at, at + splat)
        _, problems, _ = self.verdict(self.exynos, self.exynos_base, patched)
        self.assertTrue(any('patched kernel only' in p for p in problems))
        base = self.exynos_base.replace(at, at + splat)
        _, problems, notes = self.verdict(self.exynos, base, patched)
        self.assertEqual(problems, [])
        self.assertTrue(any('on both kernels' in n for n in notes))

    def test_fixed_report_fails_even_on_both(self):
        splat = ('[   30.0] WARNING: ../../check/linux/drivers/dma-buf/'
                 'dma-buf.c:1673 at dma_buf_vmap+0xcc/0xfc, CPU#0: '
                 'dumbprobe/155\n')
        at = '%s begin test-log\n' % M
        _, problems, _ = self.verdict(
            self.exynos, self.exynos_base.replace(at, at + splat),
            self.exynos_patched.replace(at, at + splat))
        self.assertTrue(any('the series fixes' in p for p in problems))

    def test_flags_warning_once(self):
        line = ('[   31.0] [drm] non-zero flags 0x1 in CREATE_DUMB '
                'ignored\n')
        at = '%s begin test-log\n' % M
        _, problems, _ = self.verdict(
            self.exynos, self.exynos_base,
            self.exynos_patched.replace(at, at + line + line))
        self.assertTrue(any('(at most once)' in p for p in problems))

    def test_wrong_driver(self):
        text = re.sub(r'(?m)^%s driver exynos ' % M, '%s driver vkms ' % M,
                      self.exynos_patched)
        _, problems, _ = self.verdict(self.exynos, self.exynos_base, text)
        self.assertTrue(any('not exynos' in p for p in problems))


class ExpectedOops(unittest.TestCase):
    def test_oops(self):
        guest = guests.GUESTS['arm-exynos-iommu']
        self.assertEqual(rr.expected_oops(
            guest, 'PC is at __arm_iommu_attach_device+0x1c/0x100\n'), [])
        self.assertTrue(rr.expected_oops(guest, 'booted fine\n'))
        self.assertTrue(rr.expected_oops(guest, '%s done\n' % M))

    def test_probe_names(self):
        guest = dataclasses.replace(guests.GUESTS['arm-exynos-vidi'])
        self.assertEqual(sorted(rr.expected_probe_tests(guest)), [
            'probe.fbdev_kernel_mapping', 'probe.fbdev_readback',
            'probe.import_into_exynos', 'probe.modetest',
            'probe.prime_import_vkms'])


if __name__ == '__main__':
    unittest.main()
