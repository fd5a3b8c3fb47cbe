# SPDX-License-Identifier: GPL-2.0
"""What the distro-configs check reads: DRM's composite objects, the list
of configurations the mirror does not serve, and what it builds when one
is missing."""

import os
import tempfile
import unittest

import check_distro
from common import Failure, InfraFailure

MAKEFILE = '''obj-$(CONFIG_DRM) += drm.o
obj-$(CONFIG_DRM_GEM_DMA_HELPER) += drm_dma_helper.o
obj-$(CONFIG_DRM_PANIC_SCREEN_QR_CODE) += drm_panic_qr.o
obj-y += clients/
drm-y := drm_auth.o
'''


class TopObjects(unittest.TestCase):
    def test_set_ones_with_module_flag(self):
        self.assertEqual(check_distro.top_objects(MAKEFILE, {
            'CONFIG_DRM': 'm', 'CONFIG_DRM_GEM_DMA_HELPER': 'y'}),
            [('drivers/gpu/drm/drm.o', True),
             ('drivers/gpu/drm/drm_dma_helper.o', False)])

    def test_unset_and_directories_left_out(self):
        self.assertEqual(check_distro.top_objects(MAKEFILE, {}), [])


class BuiltIn(unittest.TestCase):
    def test_only_built_in_composites_named(self):
        problems = check_distro.built_in(
            [('drivers/gpu/drm/drm.o', False),
             ('drivers/gpu/drm/x.o', True),
             ('drivers/gpu/drm/drm_mipi_dsi.o', False)],
            {'drivers/gpu/drm/drm_mipi_dsi.c'})
        self.assertEqual(len(problems), 1)
        self.assertIn('drm.o is built in', problems[0])


class Unavailable(unittest.TestCase):
    def read(self, text):
        with tempfile.NamedTemporaryFile('w', suffix='.txt',
                                         delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        return check_distro.unavailable(f.name)

    def test_lines_and_comments(self):
        self.assertEqual(self.read('# why\n\narm 404 since May\n'),
                         {'arm': '404 since May'})

    def test_unknown_arch_refused(self):
        with self.assertRaises(Failure):
            self.read('x86_64 never built\n')

    def test_line_without_reason_refused(self):
        with self.assertRaises(Failure):
            self.read('arm\n')

    def test_repository_list_parses(self):
        self.assertLessEqual(set(check_distro.unavailable()),
                             set(check_distro.CONFIGS))


def refused(arch):
    raise InfraFailure('apt-get download of linux-config-7.3 failed: 404')


class Configuration(unittest.TestCase):
    def standin(self, arch):
        return 'CONFIG_STANDIN=y\n'

    def test_served_and_unlisted(self):
        self.assertEqual(check_distro.configuration(
            'arm64', {}, lambda a: 'CONFIG_X=y\n', self.standin),
            ('debian', 'CONFIG_X=y\n', []))

    def test_refused_and_unlisted_is_infrastructure(self):
        with self.assertRaises(InfraFailure):
            check_distro.configuration('arm64', {}, refused, self.standin)

    def test_refused_and_listed_builds_the_standin(self):
        self.assertEqual(check_distro.configuration(
            'arm', {'arm': '404'}, refused, self.standin),
            ('multi_v7_defconfig', 'CONFIG_STANDIN=y\n', []))

    def test_served_but_listed_fails(self):
        name, _, problems = check_distro.configuration(
            'arm', {'arm': '404'}, lambda a: 'CONFIG_X=y\n', self.standin)
        self.assertEqual(name, 'debian')
        self.assertEqual(len(problems), 1)
        self.assertIn('remove its line', problems[0])


class Adapt(unittest.TestCase):
    def test_packaging_options_off(self):
        out = check_distro.adapt('CONFIG_DEBUG_INFO_BTF=y\n'
                                 'CONFIG_SYSTEM_TRUSTED_KEYS="debian/x.pem"\n'
                                 'CONFIG_DRM=m\n')
        self.assertIn('# CONFIG_DEBUG_INFO_BTF is not set\n', out)
        self.assertIn('CONFIG_SYSTEM_TRUSTED_KEYS=""\n', out)
        self.assertIn('CONFIG_DRM=m\n', out)
        self.assertTrue(out.endswith('CONFIG_DEBUG_INFO_NONE=y\n'))


if __name__ == '__main__':
    unittest.main()
