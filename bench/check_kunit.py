# SPDX-License-Identifier: GPL-2.0
"""KUnit: the DRM suites (the series' own included) through kunit.py.

UML in the CI tier; arm and arm64 under QEMU in the full tier, so that the
architectures' own DMA mapping code runs.  arm64 runs on QEMU's virt machine
with an SMMUv3 and two PCI devices behind it (configs/kunit-arm64-iommu.py),
so that the drm_gem_dma_iommu suite exercises dma-iommu; the check fails if
that suite did not run there.  The Rockchip suite (its own kunitconfig) runs
in the CI tier on that arm64 machine, where its IOMMU tests find devices in
DMA domains; the check fails if the test that shares one device's domain
with another was skipped.  The build directory of each is kept in the cache
and reused.
"""

import os
import re

from common import CACHE, CONFIGS, run, say, tail_file

KUNITCONFIG = 'drivers/gpu/drm/tests'
QEMU = {'arm': ('qemu-system-arm', 'arm-linux-gnueabihf-'),
        'arm64': ('qemu-system-aarch64', 'aarch64-linux-gnu-')}
RESULT = re.compile(r'Ran (\d+) tests?: (.*)$', re.M)
# kunit.py configuration files per arch, where kunit.py's own is not enough.
QEMU_CONFIG = {'arm64': os.path.join(CONFIGS, 'kunit-arm64-iommu.py')}
# A suite that must not be skipped on an arch, and why it would be.
MUST_RUN = {'arm64': ('drm_gem_dma_iommu',
                      'no device in an IOMMU DMA domain: is QEMU started '
                      'with iommu=smmuv3 and a PCI device?')}


# The Rockchip suite: its kunitconfig, and the test that must pass (not be
# skipped) on arm64, and why it would be skipped.
ROCKCHIP_KUNITCONFIG = 'drivers/gpu/drm/rockchip/tests'
ROCKCHIP_MUST_PASS = ('rockchip_test_dma_shared_domain',
                      'fewer than two PCI devices in IOMMU DMA domains: is '
                      'QEMU started with iommu=smmuv3 and two pci-testdev?')


def run_kunit(ctx, arch, name=None, kunitconfig=KUNITCONFIG, must_pass=None):
    name = name or 'kunit-' + arch
    build = os.path.join(CACHE, 'build', name)
    log = os.path.join(CACHE, 'logs', '%s.log' % name)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    cmd = ['python3', 'tools/testing/kunit/kunit.py', 'run',
           '--kunitconfig=' + kunitconfig, '--build_dir=' + build,
           '--jobs=%d' % os.cpu_count(), '--timeout=900']
    make_options = ['CC=ccache gcc', 'HOSTCC=ccache gcc']
    if arch != 'um':
        qemu, cross = QEMU[arch]
        if not os.path.exists('/usr/bin/' + qemu):
            return ['%s is not installed: make setup-full' % qemu]
        if arch in QEMU_CONFIG:
            cmd += ['--qemu_config=' + QEMU_CONFIG[arch]]
        else:
            cmd += ['--arch=' + arch]
        cmd += ['--cross_compile=' + cross]
        make_options = ['CC=ccache %sgcc' % cross, 'HOSTCC=ccache gcc']
    for opt in make_options:
        cmd += ['--make_options', opt]
    code, _ = run(cmd, cwd=ctx.tree, check=False, log=log,
                  env={'CCACHE_DIR': os.path.join(CACHE, 'ccache')})
    text = open(log, encoding='utf-8', errors='replace').read()
    summary = RESULT.findall(text)
    if summary:
        total, detail = summary[-1]
        say('    %s: ran %s tests: %s' % (arch, total, detail))
    failed = [ln.strip() for ln in text.splitlines()
              if re.search(r'\[(FAILED|CRASHED)\]', ln)]
    if code or not summary:
        return (['kunit.py exited %d (log %s)' % (code, log)] +
                failed[:40] + ([] if failed else tail_file(log).splitlines()))
    if arch in MUST_RUN and kunitconfig == KUNITCONFIG:
        suite, why = MUST_RUN[arch]
        if not re.search(r'\[PASSED\] %s =+$' % suite, text, re.M):
            failed.append('suite %s did not pass (skipped?): %s' % (suite, why))
    if must_pass:
        case, why = must_pass
        if not re.search(r'\[PASSED\] %s$' % case, text, re.M):
            failed.append('test %s did not pass (skipped?): %s' % (case, why))
    return failed


def kunit(arch):
    def check(ctx):
        return run_kunit(ctx, arch)
    return check


def kunit_rockchip(ctx):
    """The Rockchip suite on arm64 under QEMU, with an SMMUv3."""
    return run_kunit(ctx, 'arm64', name='kunit-rockchip-arm64',
                     kunitconfig=ROCKCHIP_KUNITCONFIG,
                     must_pass=ROCKCHIP_MUST_PASS)
