# SPDX-License-Identifier: GPL-2.0
"""What the distro-configs check reads: DRM's composite objects, the list
of configurations the mirror does not serve, and what it builds when one
is missing."""

import os
import subprocess
import tempfile
import unittest

import check_build
import check_distro
import debian
import parse
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
        self.assertEqual(problems, [
            "drivers/gpu/drm/drm.o is built in: the check builds DRM's "
            "composite objects only as modules"])


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
    raise debian.NotServed('apt-get download of linux-config-7.3 failed')


def offline(arch):
    raise InfraFailure('apt-get update could not read trixie-backports')


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

    def test_other_failures_raised_even_when_listed(self):
        with self.assertRaises(InfraFailure):
            check_distro.configuration('arm', {'arm': '404'}, offline,
                                       self.standin)

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


class NotServedWords(unittest.TestCase):
    def test_refusals(self):
        for out in ('Err:1 http://m trixie-backports/main armhf x 1\n'
                    '  404  Not Found [IP: 1.2.3.4 80]',
                    'E: Unable to locate package linux-config-7.3',
                    "E: Version '9' for 'linux-config-7.3' was not found"):
            self.assertTrue(debian.REFUSED.search(out), out)

    def test_network_is_not_a_refusal(self):
        self.assertFalse(debian.REFUSED.search(
            'Err:1 http://m trixie InRelease\n  Temporary failure '
            'resolving \'m\''))


class Configurations(unittest.TestCase):
    BASE = {'CONFIG_DRM': 'm', 'CONFIG_DRM_ROCKCHIP': 'm',
            'CONFIG_ROCKCHIP_VOP2': 'y', 'CONFIG_SND': 'm'}

    def test_kept_option_lost_after_the_base(self):
        now = dict(self.BASE, CONFIG_ROCKCHIP_VOP2='n')
        del now['CONFIG_SND']
        problems = check_distro.config_problems('arm64', self.BASE, now)
        self.assertIn('CONFIG_ROCKCHIP_VOP2 is n, not y as at the base',
                      problems)
        self.assertFalse([p for p in problems if 'CONFIG_SND' in p])

    def test_required_option_unset(self):
        problems = check_distro.config_problems('arm', {}, {})
        self.assertIn('CONFIG_DRM_EXYNOS is not set', problems)

    def test_required_objects(self):
        have = set(check_distro.REQUIRED_OBJECTS['arm64'])
        self.assertEqual(check_distro.missing_objects('arm64', have), [])
        have.discard('drivers/iommu/rockchip-iommu.o')
        self.assertEqual(check_distro.missing_objects('arm64', have),
                         ['drivers/iommu/rockchip-iommu.o was not built'])


class Exports(unittest.TestCase):
    def test_defined_here_and_not_exported(self):
        self.assertEqual(check_distro.export_problems(
            [('r.o', 'f', True, False), ('r.o', 'g', True, True)], set()),
            ['r.o uses f, which is defined here but not exported'])

    def test_definition_gone_since_the_base(self):
        self.assertEqual(check_distro.export_problems(
            [('r.o', 'f', False, False), ('r.o', 'kmalloc', False, False)],
            {'f'}),
            ["r.o uses f, which the base's build defined and this one "
             "does not"])


class Layout(unittest.TestCase):
    """What a point built comes from kbuild's lists, not from every object
    the build tree holds."""

    def test_lists_not_leftovers(self):
        out = tempfile.mkdtemp()
        self.addCleanup(subprocess.run, ['rm', '-rf', out])
        for path in ('d/a.o', 'd/b.o', 'd/old.o', 'd/m1.o', 'd/m.o',
                     'top.o', 'single.o'):
            os.makedirs(os.path.join(out, os.path.dirname(path)),
                        exist_ok=True)
            open(os.path.join(out, path), 'w').close()
        subprocess.run(['ar', 'rcT', 'd/built-in.a', 'd/a.o'], cwd=out,
                       check=True)
        with open(os.path.join(out, 'd/modules.order'), 'w') as f:
            f.write('d/m.o\n')
        with open(os.path.join(out, 'd/m.mod'), 'w') as f:
            f.write('d/m1.o d/b.o\n')
        with open(os.path.join(out, 'top.mod'), 'w') as f:
            f.write('x/t1.o\n')
        objects, modules, inside = check_distro.point_layout(
            out, ['d/'], [('top.o', True), ('single.o', False),
                          ('alone.o', True)], {'alone.c'})
        self.assertEqual(objects, {'d/a.o', 'd/m1.o', 'd/b.o', 'x/t1.o',
                                   'single.o', 'alone.o'})
        self.assertEqual(modules, ['d/m.o', 'top.o', 'alone.o'])
        self.assertEqual(inside, ['d/built-in.a', 'single.o'])

    def test_module_without_mod_file(self):
        out = tempfile.mkdtemp()
        self.addCleanup(subprocess.run, ['rm', '-rf', out])
        os.makedirs(os.path.join(out, 'd'))
        with open(os.path.join(out, 'd/modules.order'), 'w') as f:
            f.write('d/m.o\n')
        with self.assertRaises(Failure):
            check_distro.point_layout(out, ['d/'], [])


class VerdictKey(unittest.TestCase):
    def test_code_of_the_judges_hashed(self):
        for module in (check_build, parse):
            self.assertIn(module.__file__, check_build.CODE)
        self.assertIn('build_tree.py', ' '.join(check_build.CODE))


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
