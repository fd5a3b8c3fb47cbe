# SPDX-License-Identifier: GPL-2.0
"""Debian's own kernel configurations (full tier).

Distribution kernels build every GEM DMA driver, Exynos and Rockchip as
modules, with configurations no fragment of configs/ resembles.  This
check takes Debian's configurations of the base's package version (the
linux-config-7.3 package of base.conf's suite and version: arm64's
"arm64" and armhf's "armmp"), and builds with each, at the base and at
the last patch of every set, what the series touches as the configuration
sets it: the directories the series changes outside DRM (kernel/dma,
drivers/iommu, arch/arm/mm on arm), the objects of DRM's own Makefile
(drm.o with the dumb-buffer ioctl and drm_client, drm_dma_helper.o with
the GEM DMA helpers), the in-kernel clients, and every driver directory
whose Kconfig selects the GEM DMA helpers at one of those points (a
directory whose driver the configuration leaves out builds nothing), with
W=1.

What a point built is read from kbuild's own lists (each directory's
built-in.a, modules.order and each module's .mod), not from the build
tree, which also holds the objects of other points.  The check fails on:
a finding (compiler or W=1) that an object did not have at the base; a
build error; an option of KEPT whose value changed since the base after a
patch's Kconfig, or one of REQUIRED_OPTIONS unset; an object of
REQUIRED_OBJECTS not built (so that losing the code the series changes
cannot pass by building nothing); a DRM composite object built in (kbuild
has no target for it); and a module that uses a symbol which the code
built here defines but does not export, or which the base's build
defined and the point's does not (modpost's "undefined!", as far as
symbols of the code built here go; nm, without linking vmlinux).  Sparse
runs in the CI tier's build checks, not here.

An architecture whose configuration the mirror does not have is a
failure, unless configs/distro-unavailable.txt lists it with the reason.
A listed one is tried at every run; when the mirror answers that it does
not have the package (404, or no such package or version: any other
failure, the network's or a changed package's, is raised), the output
says that Debian's configuration was not built, and the upstream
configuration of STANDIN is built in its place (for armhf the ARMv7
multiplatform defconfig with DRM a module, which builds Exynos and
Rockchip as modules as armmp does); when the mirror serves it again, the
check fails until the line goes.

A step's verdict is kept by the trees' content (and the base's, for a
later point), the configuration, the compiler and the code of this check
and of the build checks it uses, so a warm run builds nothing.
"""

import hashlib
import lzma
import os
import re
import time

import build_tree
import check_build
import checktree
import debian
import kbuild
import sets
import verdicts as store
from common import (CONFIGS as CONFIG_DIR, Failure, InfraFailure, git,
                    read_conf, read_text, run, say, write_atomic)

PACKAGE = 'linux-config-7.3'
CONFIGS = {'arm64': 'config.arm64_none_arm64.xz',
           'arm': 'config.armhf_none_armmp.xz'}
# Built at every point besides changed_dirs(), the objects of DRM's
# Makefile (top_objects()) and the driver directories that select the GEM
# DMA helpers (gem_dma_dirs(): Rockchip, and Exynos once the series makes
# it select them).  Not drivers/gpu/drm whole: amdgpu, nouveau, radeon, xe
# and msm, which use no GEM DMA helper, are most of its compile time.
DIRS = ['kernel/dma/', 'drivers/iommu/', 'drivers/gpu/drm/clients/']
DRM = 'drivers/gpu/drm/'
TOP_OBJECT = re.compile(r'^obj-\$\((CONFIG_[A-Z0-9_]+)\)\s*\+=\s*([\w-]+\.o)\s*$',
                        re.M)


UNAVAILABLE = os.path.join(CONFIG_DIR, 'distro-unavailable.txt')


def unavailable(path=UNAVAILABLE):
    """{arch: reason}: the architectures whose Debian configuration the
    mirror is known not to serve ("<arch> <reason>" lines, # comments)."""
    found = {}
    for line in read_text(path).splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            arch, _, reason = line.partition(' ')
            if arch not in CONFIGS or not reason.strip():
                raise Failure('%s: "%s" names no architecture of %s and a '
                              'reason' % (path, line, ', '.join(CONFIGS)))
            found[arch] = reason.strip()
    return found


def top_objects(makefile, config):
    """[(object, built as module)]: the composite objects of DRM's own
    Makefile that the configuration builds."""
    found = []
    for m in TOP_OBJECT.finditer(makefile):
        value = config.get(m.group(1))
        if value in ('y', 'm'):
            found.append((DRM + m.group(2), value == 'm'))
    return found


def built_in(tops, sources):
    """A problem for each composite object (one made of other objects, with
    no source file of its own name among sources) built into the kernel:
    kbuild has no target for it, its parts go straight into built-in.a, so
    the check, which builds DRM's objects as targets, would miss it."""
    return ['%s is built in: the check builds DRM\'s composite objects '
            'only as modules' % o for o, module in tops
            if not module and o[:-2] + '.c' not in sources]


def gem_dma_dirs(revs):
    """The directories under drivers/gpu/drm/ whose Kconfig selects
    DRM_GEM_DMA_HELPER at any of revs (DRM's own Kconfig files, whose
    selects are for the helpers and the KUnit tests, left out)."""
    found = set()
    for rev in revs:
        code, out = run(['git', '-C', checktree.TREE, 'grep', '-l', '-E',
                         r'^\s*select\s+DRM_GEM_DMA_HELPER\b', rev, '--',
                         DRM + '*Kconfig*'], check=False)
        if code not in (0, 1):      # 1: nothing matched
            raise Failure('git grep in %s failed:\n%s' % (checktree.TREE,
                                                           out))
        for line in out.splitlines():
            path = line.split(':', 1)[1]
            if os.path.dirname(path) + '/' != DRM:
                found.add(os.path.dirname(path) + '/')
    if not found:
        raise Failure('no directory under %s selects DRM_GEM_DMA_HELPER'
                      % DRM)
    return sorted(found)


def debian_config(arch):
    """Debian's configuration for arch, as text, from the version of the
    package that carries the base (base.conf)."""
    debarch = kbuild.ARCHES[arch].debian
    version = read_conf()['version']
    top = debian.unpacked('%s-%s-%s' % (PACKAGE, version, debarch),
                          debian.apt_for(read_conf()['suite'], debarch),
                          ['%s=%s' % (PACKAGE, version)])
    path = os.path.join(top, 'usr', 'src', PACKAGE, CONFIGS[arch])
    if not os.path.exists(path):
        raise InfraFailure('%s has no %s: the package changed; see %s' % (
            PACKAGE, CONFIGS[arch], top))
    with lzma.open(path, 'rt', encoding='utf-8') as f:
        return f.read()


# The upstream configuration built in place of Debian's where
# configs/distro-unavailable.txt lists the architecture: for armhf, the
# ARMv7 multiplatform defconfig with DRM made a module (standin_config()),
# which like Debian's armmp builds Exynos, Rockchip and most GEM DMA
# drivers as modules.
STANDIN = {'arm64': 'defconfig', 'arm': 'multi_v7_defconfig'}

# Only packaging needs these: debug information (compile time and disk;
# no warning depends on it), BTF, and Debian's signing keys.
OFF = ('CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT', 'CONFIG_DEBUG_INFO_DWARF4',
       'CONFIG_DEBUG_INFO_DWARF5', 'CONFIG_DEBUG_INFO_BTF',
       'CONFIG_DEBUG_INFO_BTF_MODULES', 'CONFIG_MODULE_SIG_ALL')
EMPTY = ('CONFIG_SYSTEM_TRUSTED_KEYS', 'CONFIG_SYSTEM_REVOCATION_KEYS')
# The QR code panic screen is Rust, and the machine has no Rust toolchain
# (CONFIG_RUST needs one): Kconfig drops it, which changes no C object of
# the series.
LOST_OK = ('CONFIG_DRM_PANIC_SCREEN_QR_',)
# What must survive olddefconfig as the configuration set it, at the base
# and at every point after it: DRM, the DMA layer, the IOMMUs and their
# drivers, and everything of Rockchip and Exynos.
KEPT = ('CONFIG_DRM', 'CONFIG_IOMMU_', 'CONFIG_DMA_', 'CONFIG_ROCKCHIP_',
        'CONFIG_EXYNOS_', 'CONFIG_ARM_DMA_USE_IOMMU', 'CONFIG_ARM_SMMU',
        'CONFIG_MTK_IOMMU', 'CONFIG_SUN50I_IOMMU', 'CONFIG_APPLE_DART',
        'CONFIG_CMA')
# What must be set (y or m) and compiled at every point, per arch: the
# code the series changes, so that a configuration that lost it (Kconfig
# at some patch, or a Debian that stopped building it) cannot pass by
# building nothing.  Debian's arm64 configuration builds no Exynos.
REQUIRED_OPTIONS = {
    'arm64': ('CONFIG_DRM', 'CONFIG_DRM_GEM_DMA_HELPER', 'CONFIG_DRM_ROCKCHIP',
              'CONFIG_ROCKCHIP_VOP', 'CONFIG_ROCKCHIP_VOP2',
              'CONFIG_ROCKCHIP_IOMMU', 'CONFIG_IOMMU_DMA'),
    'arm': ('CONFIG_DRM', 'CONFIG_DRM_GEM_DMA_HELPER', 'CONFIG_DRM_ROCKCHIP',
            'CONFIG_ROCKCHIP_IOMMU', 'CONFIG_DRM_EXYNOS',
            'CONFIG_DRM_EXYNOS_FIMD', 'CONFIG_EXYNOS_IOMMU',
            'CONFIG_ARM_DMA_USE_IOMMU'),
}
COMMON_OBJECTS = ('drivers/gpu/drm/drm_gem_dma_helper.o',
                  'drivers/gpu/drm/drm_dumb_buffers.o',
                  'drivers/gpu/drm/drm_client.o', 'kernel/dma/mapping.o',
                  'drivers/iommu/rockchip-iommu.o',
                  'drivers/gpu/drm/rockchip/rockchip_drm_drv.o')
REQUIRED_OBJECTS = {
    'arm64': COMMON_OBJECTS + ('drivers/iommu/dma-iommu.o',),
    'arm': COMMON_OBJECTS + ('drivers/iommu/exynos-iommu.o',
                             'arch/arm/mm/dma-mapping.o',
                             'drivers/gpu/drm/exynos/exynos_drm_drv.o'),
}


def adapt(text):
    """Debian's configuration with OFF turned off and EMPTY emptied."""
    out = []
    for line in text.splitlines():
        key = line.split('=', 1)[0]
        if key in OFF:
            out.append('# %s is not set' % key)
        elif key in EMPTY:
            out.append('%s=""' % key)
        else:
            out.append(line)
    return '\n'.join(out + ['CONFIG_DEBUG_INFO_NONE=y']) + '\n'


def settings(text):
    return {ln.split('=', 1)[0]: ln.split('=', 1)[1]
            for ln in text.splitlines() if ln.startswith('CONFIG_')}


def prepare(arch, text, name):
    """The build tree of one configuration of arch, configured once at the
    base.  Its fragment is the whole configuration, so that after a
    checkout that changes a Kconfig file (check_build.sync) every value the
    configuration sets is set again before olddefconfig."""
    out = os.path.join(kbuild.BUILD, '%s-%s' % (arch, name))
    tree = build_tree.BuildTree(arch, out)
    mark = os.path.join(out, 'distro.config')
    if os.path.exists(mark) and read_text(mark) == text and \
            os.path.exists(os.path.join(out, 'base.settings')):
        return tree
    os.makedirs(out, exist_ok=True)
    write_atomic(os.path.join(out, 'fragment.config'), adapt(text))
    write_atomic(os.path.join(out, '.config'), adapt(text))
    kbuild.make(arch, checktree.TREE, out, *tree.options, 'olddefconfig')
    lost = lost_options(settings(text), settings(
        read_text(os.path.join(out, '.config'))))
    if lost:
        raise Failure('the %s configuration of %s lost options in '
                      'olddefconfig at the base: %s' % (
                          name, arch, '; '.join(lost[:20])))
    write_atomic(os.path.join(out, '.synced-at'), 'base')
    write_atomic(os.path.join(out, 'base.settings'),
                 read_text(os.path.join(out, '.config')))
    write_atomic(mark, text)
    return tree


def lost_options(want, have):
    """The options of KEPT that have another value in have than in want."""
    return ['%s is %s, not %s' % (k, have.get(k, 'unset'), v)
            for k, v in sorted(want.items())
            if k.startswith(KEPT) and not k.startswith(LOST_OK) and
            have.get(k) != v]


def config_problems(arch, base, now):
    """What a point's configuration lost: an option of KEPT whose value
    differs from the base's, a REQUIRED_OPTIONS one unset."""
    problems = [p + ' as at the base' for p in lost_options(base, now)]
    problems += ['%s is not set' % k for k in REQUIRED_OPTIONS[arch]
                 if now.get(k) not in ('y', 'm')]
    return problems


def standin_config(arch):
    """STANDIN[arch] as the base's Kconfig expands it, with DRM a module as
    distributions build it (multi_v7_defconfig builds it in, and every
    driver on it with it), as text."""
    out = os.path.join(kbuild.BUILD, '%s-%s-defconfig' % (arch,
                                                          STANDIN[arch]))
    os.makedirs(out, exist_ok=True)
    kbuild.make(arch, checktree.TREE, out, STANDIN[arch])
    path = os.path.join(out, '.config')
    text = read_text(path)
    write_atomic(path, re.sub(r'^CONFIG_DRM=y$', 'CONFIG_DRM=m', text,
                              flags=re.M))
    kbuild.make(arch, checktree.TREE, out, 'olddefconfig')
    return read_text(path)


def points():
    """[(label, commit)]: the base and the last patch of every set."""
    shas = git(checktree.TREE, 'rev-list', '--reverse', 'base..HEAD').split()
    found, i = [('base', 'base')], 0
    for one in sets.load():
        i += len(one.patches)
        if i > len(shas):
            break
        found.append(('%s (last patch)' % one.name, shas[i - 1]))
    return found


def configuration(arch, gaps, fetch=None, standin=None):
    """(name, text, problems): Debian's configuration of arch; where the
    mirror answers that it does not have it (debian.NotServed) and gaps
    lists arch, STANDIN's in its place (said aloud); where gaps lists arch
    but the mirror serves it, a problem.  Any other failure (network, a
    package that changed) is raised."""
    fetch = fetch or debian_config
    standin = standin or standin_config
    try:
        text = fetch(arch)
    except debian.NotServed as e:
        if arch not in gaps:
            raise
        say('    %s: DEBIAN\'S CONFIGURATION NOT BUILT: %s (listed in '
            'configs/%s); the mirror said: %s' % (
                arch, gaps[arch], os.path.basename(UNAVAILABLE),
                str(e).splitlines()[0]))
        say('    %s: built instead with the upstream %s, which is not '
            'Debian\'s' % (arch, STANDIN[arch]))
        return STANDIN[arch], standin(arch), []
    stale = []
    if arch in gaps:
        stale.append('%s: the mirror now serves %s; remove its line from '
                     'configs/%s' % (arch, PACKAGE,
                                     os.path.basename(UNAVAILABLE)))
    return 'debian', text, stale


def changed_dirs(arch, tip):
    """The directories of what the series changes outside DRM (whose
    directories the check picks itself), this arch's and no other's:
    kernel/dma, drivers/iommu and, on arm, arch/arm/mm."""
    dirs = set()
    for path in checktree.changed_files('base', tip):
        top = path.split('/')[0]
        if '/' not in path or top in ('include', 'tools', 'Documentation',
                                      'scripts') or path.startswith(DRM):
            continue
        if not path.endswith(('.c', '.h', '.S', 'Makefile')):
            continue    # Kconfig: the configuration, not code to build
        if top == 'arch' and path.split('/')[1] != \
                check_build.SRCARCH[arch]:
            continue
        dirs.add(os.path.dirname(path) + '/')
    return sorted(dirs)


def distro(ctx):
    problems = []
    code = ''.join(read_text(p) for p in check_build.CODE + [__file__])
    with checktree.checked_out():
        at = points()
        if len(at) != len(sets.load()) + 1:
            return ['the check tree does not hold every set (%d points)' %
                    len(at)]
        drm_dirs = gem_dma_dirs([rev for _, rev in at])
        gaps = unavailable()
        for arch in CONFIGS:
            # at[-1], not HEAD: the loop moves the check tree
            dirs = sorted(set(DIRS + changed_dirs(arch, at[-1][1])))
            dirs = [d for d in dirs if not any(
                d != o and d.startswith(o) for o in dirs)] + drm_dirs
            say('    %s directories: %s, and the objects of %sMakefile' % (
                arch, ' '.join(dirs), DRM))
            checktree.switch('base')
            name, text, stale = configuration(arch, gaps)
            problems += stale
            tree = prepare(arch, text, name)
            common = [arch, name, hashlib.sha256(text.encode())
                      .hexdigest(), kbuild.compiler(arch),
                      hashlib.sha256(code.encode()).hexdigest()] + dirs
            verdicts = store.Store(None, os.path.join(tree.out,
                                                      '.verdicts.json'))
            who = '%s (%s)' % (arch, name)
            try:
                found = judge(tree, at, common, verdicts, dirs, who)
            except Failure as e:
                found = [str(e)]
            problems += ['%s: %s' % (who, p) for p in found]
    return problems


def archive_members(out, archive):
    """The objects of a (thin) built-in.a of the build tree out, as paths
    in it (ar prints them as kbuild stored them, or absolute)."""
    if not os.path.exists(os.path.join(out, archive)):
        return set()
    _, text = run(['ar', 't', archive], cwd=out)
    return {os.path.relpath(os.path.normpath(os.path.join(out, m)), out)
            for m in (ln.strip() for ln in text.splitlines()) if m}


def module_parts(out, module):
    """The objects a module (drivers/.../x.o) is linked from, from kbuild's
    x.mod beside it."""
    mod = os.path.join(out, module[:-2] + '.mod')
    if not os.path.exists(mod):
        raise Failure('%s has no %s: kbuild did not link it' % (
            module, os.path.relpath(mod, out)))
    return set(read_text(mod).split())


def point_layout(out, dirs, tops, sources=frozenset()):
    """(objects, modules, inside): what this point's make put together,
    as kbuild itself lists it (built-in.a members, modules.order and each
    module's .mod): not every object the build tree holds, which includes
    those of other points."""
    modules, inside = [], []
    for d in dirs:
        order = os.path.join(out, d, 'modules.order')
        if os.path.exists(order):
            modules += [ln.strip() for ln in read_text(order).splitlines()
                        if ln.strip()]
        if os.path.exists(os.path.join(out, d, 'built-in.a')):
            inside.append(d + 'built-in.a')
    single = set()
    for obj, module in tops:
        (modules if module else inside).append(obj)
        if obj[:-2] + '.c' in sources:
            single.add(obj)     # a target of its own: no .mod is written
    objects = set()
    for m in modules:
        objects |= {m} if m in single else module_parts(out, m)
    # A directory's modules.order also lists its subdirectories' modules
    # (drivers/gpu/drm/arm/ and arm/display/ are both targets).
    modules = list(dict.fromkeys(modules))
    for b in inside:
        objects |= archive_members(out, b) if b.endswith('.a') else {b}
    return objects, modules, inside


def unresolved(tree, modules, inside):
    """([(module, symbol, defined here, exported)], defined here): each
    symbol a module leaves undefined, whether the code built here (the
    modules and the built-in archives and objects inside) defines it, and
    whether it exports it; and every symbol that code defines."""
    def paths(names):
        return [os.path.join(tree.out, n) for n in names]
    everywhere = tree.symbols(paths(inside + modules), True)
    if modules and not everywhere:
        raise InfraFailure('nm found no symbol in %d modules' % len(modules))
    exported = {x[len('__export_symbol_'):] for x in everywhere
                if x.startswith('__export_symbol_')}
    found = []
    for mod in modules:
        for sym in tree.symbols(paths([mod]), False):
            found.append((mod, sym, sym in everywhere, sym in exported))
    return found, everywhere


def export_problems(undefined, base_defined):
    """A module uses a symbol that code built here defines and nobody
    exports (modpost's "not exported"), or one that the base's build
    defined and this point's does not (modpost's "undefined!")."""
    problems = []
    for mod, sym, defined, exported in undefined:
        if defined and not exported:
            problems.append('%s uses %s, which is defined here but not '
                            'exported' % (mod, sym))
        elif not defined and sym in base_defined:
            problems.append('%s uses %s, which the base\'s build defined '
                            'and this one does not' % (mod, sym))
    return sorted(set(problems))


def missing_objects(arch, objects):
    return ['%s was not built' % o for o in REQUIRED_OBJECTS[arch]
            if o not in objects]


def judge(tree, at, common, verdicts, dirs, who):
    base = None
    problems = []
    for label, rev in at:
        key_parts = common if label == 'base' else \
            common + [checktree.tree_id('base')]
        k = store.key(key_parts, checktree.tree_id(rev))
        verdict = verdicts.get(k)
        if verdict is not None and (label != 'base' or 'defined' in verdict):
            say('    %s %s: unchanged since the last run: %d objects, %d '
                'problems' % (who, label, verdict['objects'],
                              len(verdict['new'])))
            if label == 'base':
                base = verdict
            problems += ['%s: %s' % (label, p) for p in verdict['new']]
            continue
        t0 = time.monotonic()
        check_build.sync(tree, rev)
        config = settings(read_text(os.path.join(tree.out, '.config')))
        new = config_problems(tree.arch, settings(read_text(os.path.join(
            tree.out, 'base.settings'))), config)
        tops = top_objects(read_text(os.path.join(checktree.TREE, DRM,
                                                  'Makefile')), config)
        sources = {DRM + n for n in os.listdir(os.path.join(checktree.TREE,
                                                            DRM))}
        inside = built_in(tops, sources)
        if inside:
            problems += ['%s: %s' % (label, p) for p in new + inside]
            if label == 'base':
                return problems     # nothing to judge the points against
            continue
        log = tree.make(rev[:12], *(dirs + [o for o, _ in tops]))
        objects, modules, inside = point_layout(tree.out, dirs, tops,
                                                sources)
        found = check_build.merge(tree.findings(objects), log)
        found = {o: sorted(v) for o, v in found.items() if v}
        undefined, defined = unresolved(tree, modules, inside)
        new += missing_objects(tree.arch, objects)
        if label == 'base':
            new += export_problems(undefined, set())
            verdict = {'objects': len(objects), 'new': new,
                       'findings': found, 'defined': sorted(defined)}
            base = verdict
        else:
            old = {o: set(v) for o, v in base['findings'].items()}
            new += sorted('%s: %s' % (o or 'build', line)
                          for o, lines in found.items()
                          for line in lines if line not in old.get(o, ()))
            new += export_problems(undefined, set(base['defined']))
            verdict = {'objects': len(objects), 'new': new}
        verdicts.put(k, verdict)
        say('    %s %s: %d objects in %d modules and %d built-in, %d '
            'findings, %d problems (%.0f s)' % (
                who, label, len(objects), len(modules), len(inside),
                sum(len(v) for v in found.values()), len(new),
                time.monotonic() - t0))
        problems += ['%s: %s' % (label, p) for p in new]
    return problems
