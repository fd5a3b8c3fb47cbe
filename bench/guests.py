# SPDX-License-Identifier: GPL-2.0
"""The QEMU guests of the runtime stage and the benchmarks, as data.

A Kernel is a build: tinyconfig plus fragments from configs/, built twice
in one build tree, from the base and from the series; guests that boot the
same Kernel share it.  A Guest is a
machine QEMU emulates, the kernel it boots, and what its /init runs there
(bench/guest/init.sh).  Nothing else in the workbench names a guest's
properties.
"""

import dataclasses
from dataclasses import dataclass, field
from typing import Optional, Tuple


@dataclass(frozen=True)
class Kernel:
    name: str                   # its build tree, check/build-<name>
    arch: str                   # a key of kbuild.ARCHES
    image: str                  # the image's path in the build tree
    configs: Tuple[str, ...]    # fragments in configs/, on tinyconfig
    # more fragments for the patched kernel only: options the series adds
    patched_configs: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Guest:
    name: str
    check: str                  # the runtime check that boots it
    tier: str                   # 'ci', 'full' (make test-full), 'bench'
    kernel: Kernel
    qemu: Tuple[str, ...]       # QEMU's command line up to -kernel
    console: str                # the kernel's console device
    dts: Optional[str] = None   # the test device tree, in configs/
    append: str = ''            # more kernel command line
    timeout: int = 240          # seconds until the guest counts as hung
    driver: Optional[str] = None  # the DRM driver the tests run on
    absent: Optional[str] = None  # without a driver: one that must not bind
    kselftests: Tuple[str, ...] = ('dumb_buffers',)
    probes: Tuple[str, ...] = ()  # dumbprobe command lines
    fbdev: bool = False         # fbdev emulation runs: check its buffer
    fbdev_off: bool = False     # the kernel has fbdev, the command line
                                # turns it off: fail if it starts
    modetest: bool = False      # set a mode with libdrm's modetest
    igt: Tuple[str, ...] = ()   # IGT test programs (x86_64: sid's)
    setup: str = ''             # shell command run once the card is there
    base_oops: Optional[str] = None    # the base must stop with this
    patched_log: Optional[str] = None  # the patched console must show this
    # Kernel reports the series fixes: (pattern, why).  The patched kernel
    # fails on them even when the base prints them too.
    fixed: Tuple[Tuple[str, str], ...] = field(default_factory=tuple)
    leakscan: bool = False      # kmemleak scans after the tests

    @property
    def arch(self):
        return self.kernel.arch


SERIES_KUNIT = ('guest-kunit-series.config',)
X86_64 = Kernel('x86_64', 'x86_64', 'arch/x86/boot/bzImage',
                ('guest-x86_64-vkms.config',), SERIES_KUNIT)
# One multi_v7 kernel for vexpress-a9 and smdkc210, runtime and benchmarks.
ARM = Kernel('arm', 'arm', 'arch/arm/boot/zImage', ('guest-arm.config',),
             SERIES_KUNIT)
ARM_IOMMU = Kernel('arm-exynos-iommu', 'arm', 'arch/arm/boot/zImage',
                   ('guest-arm.config', 'guest-arm-exynos-iommu.config'))

SMDKC210_MACHINE = ('qemu-system-arm', '-machine', 'smdkc210',
                    '-serial', 'null', '-serial', 'mon:stdio')
EXYNOS_FIXED = (
    (r'mm/page_alloc\.c:\d+ at __alloc',
     'page allocator warning when userspace exhausts CMA (exynos-fixes 2/3, '
     'and the helpers\' __GFP_NOWARN)'),
    (r'dma-buf\.c:\d+ at dma_buf_vmap',
     'vmap of an Exynos buffer by a PRIME importer (GEM DMA helpers)'),
)
EXYNOS_TESTS = ('dumb_buffers', 'exynos_gem')

GUESTS = {}


def _add(guest):
    GUESTS[guest.name] = guest


_add(Guest(
    'x86_64-vkms', 'runtime-x86_64', 'full', X86_64,
    ('qemu-system-x86_64', '-machine', 'q35', '-cpu', 'max', '-m', '512',
     '-smp', '2', '-nic', 'none'),
    'ttyS0', driver='vkms', igt=('dumb_buffer', 'kms_addfb_basic')))
_add(Guest(
    'arm-vexpress', 'runtime-arm', 'ci', ARM,
    ('qemu-system-arm', '-machine', 'vexpress-a9', '-m', '512'),
    'ttyAMA0', dts='guest-arm-vexpress.dts', driver='pl111',
    probes=('prime', 'exhaust 1920 1080'), modetest=True))
# Exynos on FIMD.  The kernel also has VIDI (left disconnected) and fbdev
# emulation, for the next guest; fbdev is off on the command line: QEMU's
# FIMD raises no vblank interrupt, so every commit waits 10 s and ends in
# "flip_done timed out" and a WARNING, and fbdev would restore its mode
# with such a commit whenever a test closes the device.
_add(Guest(
    'arm-exynos', 'runtime-exynos', 'ci', ARM, SMDKC210_MACHINE,
    'ttySAC1',
    dts='guest-arm-exynos.dts', append='drm_kms_helper.fbdev_emulation=0',
    fbdev_off=True, driver='exynos', kselftests=EXYNOS_TESTS,
    probes=('prime', 'import', 'exhaust 1920 1080'), fixed=EXYNOS_FIXED))
# The same kernel on a device tree without FIMD: Exynos with its virtual
# display, VIDI, alone.  Commits complete (timer vblanks), so fbdev runs:
# /init connects the display, which starts fbdev, checks the fbdev buffer,
# then runs the tests with fbdev restoring its mode after each.
_add(Guest(
    'arm-exynos-vidi', 'runtime-exynos-vidi', 'ci', ARM,
    SMDKC210_MACHINE, 'ttySAC1',
    dts='guest-arm-exynos-vidi.dts', driver='exynos',
    kselftests=EXYNOS_TESTS, probes=('prime', 'import'),
    fixed=EXYNOS_FIXED, fbdev=True, modetest=True,
    setup='echo 1 > /sys/devices/platform/exynos-drm-vidi/connection'))
# The Exynos SYSMMU driver with a FIMD that has no IOMMU in the device
# tree: the base oopses in exynos_drm_bind(); with the series FIMD fails to
# bind and the system boots without Exynos.
_add(Guest(
    'arm-exynos-iommu', 'runtime-exynos-iommu', 'full', ARM_IOMMU,
    SMDKC210_MACHINE, 'ttySAC1',
    dts='guest-arm-exynos.dts', absent='exynos', kselftests=(),
    base_oops=r'PC is at __arm_iommu_attach_device',
    patched_log=r'failed to bind \S+\.fimd .*: -19'))

# Debug variants (full tier): the same tests on kernels with KASAN,
# kmemleak, lockdep, DEBUG_VM and DMA API debugging; slower.
for _name in ('x86_64-vkms', 'arm-vexpress', 'arm-exynos', 'arm-exynos-vidi'):
    _g = GUESTS[_name]
    _add(dataclasses.replace(
        _g, name=_name + '-debug', check=_g.check + '-debug', tier='full',
        leakscan=True,
        timeout=3 * _g.timeout,
        kernel=dataclasses.replace(
            _g.kernel, name=_g.kernel.name + '-debug',
            configs=_g.kernel.configs + ('guest-debug.config',))))

# Benchmarks only: the same machines and kernel with the CMA area placed in
# highmem (cma=size@base), where the DMA layer can only map a buffer into
# the kernel through the vmalloc area.  vexpress-a9 gets 1 GiB (at
# 0x60000000), smdkc210 has 1 GiB (at 0x40000000); with the 3G/1G split
# lowmem ends about 760 MiB in.  On smdkc210 the device tree reserves
# 0x7d400000 up for the MFC, so CMA sits below that.
_add(dataclasses.replace(
    GUESTS['arm-vexpress'], name='arm-vexpress-highmem', check='',
    tier='bench',
    qemu=('qemu-system-arm', '-machine', 'vexpress-a9', '-m', '1024'),
    append='cma=96M@0x98000000'))
_add(dataclasses.replace(
    GUESTS['arm-exynos'], name='arm-exynos-highmem', check='', tier='bench',
    append=GUESTS['arm-exynos'].append + ' cma=96M@0x72000000'))
