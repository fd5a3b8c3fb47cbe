# SPDX-License-Identifier: GPL-2.0
"""The check runner: runs each check in order, times it, prints a summary.

A check is a function taking the Context and returning a list of
problem lines (empty: passed).  It may raise Failure for a hard error.
To add one, write the function in a check_*.py module and list it in
CHECKS below with its tier ('ci' runs in both tiers, 'full' only in the
full tier) and the checks it needs to have passed first.
"""

import os
import shutil
import time
import traceback

import check_apply
import check_build
import check_kunit
import check_runtime
import check_selftest
import check_source
import check_style
from common import CACHE, Failure, say, series_patches

CHECKS = [
    # name, tier, needs, function, what it does
    ('apply', 'ci', (), check_apply.apply,
     'git am every patch onto the base (no fuzz, no 3-way)'),
    ('debian-overlap', 'ci', ('apply',), check_apply.debian_overlap,
     'no file the series touches was changed by a Debian patch'),
    ('checkpatch', 'ci', ('apply',), check_style.checkpatch,
     'scripts/checkpatch.pl --strict on every patch'),
    ('kernel-doc', 'ci', ('apply',), check_style.kernel_doc,
     'scripts/kernel-doc -none -Wall on touched files, base vs series'),
    ('gem-dma-opt-in', 'ci', ('apply',), check_source.gem_dma_opt_in,
     'only the drivers in configs/gem-dma-opt-in.txt opt in'),
    ('build-x86_64', 'ci', ('apply',), check_build.bisect('x86_64'),
     'base, then each patch: W=1 build (CI: touched subsystems and their '
     'exports; full tier: whole kernel and modules), sparse, x86_64'),
    ('build-arm', 'ci', ('apply',), check_build.bisect('arm'),
     'base, then each patch: W=1 build (CI: touched subsystems and their '
     'exports; full tier: whole kernel and modules), sparse, arm'),
    ('build-arm64', 'ci', ('apply',), check_build.bisect('arm64'),
     'base, then each patch: W=1 build (CI: touched subsystems and their '
     'exports; full tier: whole kernel and modules), sparse, arm64'),
    ('headers', 'ci', ('build-x86_64', 'build-arm', 'build-arm64'),
     check_build.headers,
     'every includer of a changed header compiles (arch builds, else alone)'),
    ('coccicheck', 'ci', ('build-x86_64',), check_style.coccicheck,
     'coccicheck (report mode) on touched C files, base vs series'),
    ('kselftest-build', 'ci', ('build-x86_64', 'build-arm', 'build-arm64'),
     check_selftest.build,
     'the drm kselftest builds for x86_64, arm and arm64'),
    ('kunit-um', 'ci', ('apply',), check_kunit.kunit('um'),
     'KUnit DRM suites on UML, series applied'),
    ('kunit-rockchip', 'ci', ('apply',), check_kunit.kunit_rockchip,
     'KUnit Rockchip suite on arm64 under QEMU with an SMMUv3, series '
     'applied'),
    ('kunit-arm', 'full', ('apply',), check_kunit.kunit('arm'),
     'KUnit DRM suites on arm under QEMU, series applied'),
    ('kunit-arm64', 'full', ('apply',), check_kunit.kunit('arm64'),
     'KUnit DRM suites on arm64 under QEMU, series applied'),
    ('runtime-x86_64', 'ci', ('apply',), check_runtime.runtime('x86_64-vkms'),
     'QEMU x86_64 with vkms: base and patched kernels run the kselftest'),
    ('runtime-arm', 'ci', ('apply',), check_runtime.runtime('arm-vexpress'),
     'QEMU vexpress-a9 with pl111: base and patched kernels run the kselftest, '
     'PRIME and CMA probes'),
    ('runtime-exynos', 'ci', ('apply',), check_runtime.runtime('arm-exynos'),
     'QEMU smdkc210 with Exynos FIMD: base and patched kernels run the '
     'kselftests, PRIME and CMA probes'),
    ('runtime-exynos-vidi', 'ci', ('apply',),
     check_runtime.runtime('arm-exynos-vidi'),
     'QEMU smdkc210 with Exynos VIDI and fbdev: the fbdev buffer is mapped, '
     'userspace buffers are not'),
    ('runtime-exynos-iommu', 'full', ('apply',),
     check_runtime.runtime('arm-exynos-iommu'),
     'QEMU smdkc210, EXYNOS_IOMMU=y, FIMD without IOMMU: base oopses, '
     'patched boots'),
]

# The debug variants of the CI guests (full tier).
for _check, _guest in (('x86_64', 'x86_64-vkms'), ('arm', 'arm-vexpress'),
                       ('exynos', 'arm-exynos'),
                       ('exynos-vidi', 'arm-exynos-vidi')):
    CHECKS.append(('runtime-%s-debug' % _check, 'full', ('apply',),
                   check_runtime.runtime(_guest + '-debug'),
                   'runtime-%s on KASAN, kmemleak, lockdep, DEBUG_VM and '
                   'DMA-API debug kernels' % _check))


# Commands the CI tier runs, and the package that brings each.
TOOLS = {
    'make': 'make', 'gcc': 'gcc', 'perl': 'perl', 'git': 'git',
    'ccache': 'ccache', 'flex': 'flex', 'bison': 'bison', 'bc': 'bc',
    'spatch': 'coccinelle', 'ocamlopt': 'ocaml-nox',
    'arm-linux-gnueabihf-gcc': 'gcc-arm-linux-gnueabihf',
    'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu',
    'dpkg-deb': 'dpkg', 'apt-get': 'apt',
    'qemu-system-x86_64': 'qemu-system-x86', 'busybox': 'busybox-static',
    'cpio': 'cpio', 'qemu-system-arm': 'qemu-system-arm',
    'readelf': 'binutils',
}
FULL_TOOLS = {'qemu-system-aarch64': 'qemu-system-arm'}


def missing_tools(full):
    wanted = dict(TOOLS, **(FULL_TOOLS if full else {}))
    return sorted({pkg for cmd, pkg in wanted.items()
                   if not shutil.which(cmd)})


class Context:
    """What the checks share: the check tree and the series' commits."""

    def __init__(self, full):
        self.full = full
        self.tree = os.path.join(CACHE, 'check', 'linux')
        self.patches = series_patches()
        self.commits = []       # (sha, patch file name) after 'apply'
        self.data = {}          # results checks hand to later checks


def main(full=False, only=None, list_only=False):
    tier = ('ci', 'full') if full else ('ci',)
    chosen = [c for c in CHECKS if c[1] in tier]
    if only:
        names = only.split(',')
        unknown = [n for n in names if n not in [c[0] for c in CHECKS]]
        if unknown:
            raise Failure('unknown check(s): %s (see --list)' %
                          ', '.join(unknown))
        chosen = [c for c in CHECKS if c[0] in names or c[0] == 'apply']
    if list_only:
        for name, t, _, _, what in CHECKS:
            say('%-25s %-4s %s' % (name, t, what))
        return 0

    missing = missing_tools(full)
    if missing:
        raise Failure('missing packages: %s; run "make setup%s" (as root)'
                      % (' '.join(missing), '-full' if full else ''))
    ctx = Context(full)
    results = {}
    start = time.monotonic()
    say('%d checks (%s tier), %d patches, cache %s' % (
        len(chosen), 'full' if full else 'CI', len(ctx.patches), CACHE))
    for i, (name, _, needs, func, what) in enumerate(chosen, 1):
        say('')
        say('[%d/%d] %s: %s' % (i, len(chosen), name, what))
        t0 = time.monotonic()
        missing = [n for n in needs if n in results and results[n] != 'pass']
        if missing:
            results[name] = 'fail'
            problems = ['not run: %s did not pass' % ', '.join(missing)]
        else:
            try:
                problems = func(ctx)
            except Failure as err:
                problems = str(err).splitlines()
            except Exception:  # pylint: disable=broad-except
                problems = traceback.format_exc().splitlines()
            results[name] = 'fail' if problems else 'pass'
        took = time.monotonic() - t0
        say('[%d/%d] %s: %s (%.0f s)' % (i, len(chosen), name,
                                        results[name].upper(), took))
        for line in problems[:60]:
            say('    ' + line)
        if len(problems) > 60:
            say('    ... %d more lines' % (len(problems) - 60))
    passed = sum(1 for r in results.values() if r == 'pass')
    failed = len(results) - passed
    say('')
    say('summary: %s' % ', '.join('%s %s' % (n, r) for n, r in
                                   results.items()))
    say('total time %.0f s' % (time.monotonic() - start))
    say('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0
