# SPDX-License-Identifier: GPL-2.0
"""Debian's own kernel configurations (full tier).

Distribution kernels build every GEM DMA driver, Exynos and Rockchip as
modules, with configurations no fragment of configs/ resembles.  This
check takes Debian's configurations for the base's version (the
linux-config-7.3 package of the base's suite: arm64's "arm64" and armhf's
"armmp"), and builds with each, at the base and at the last patch of every
set, what the series touches as the configuration sets it: kernel/dma,
drivers/iommu, DRM's own composite objects (the core with the dumb-buffer
ioctl and drm_client, the GEM DMA helpers), the in-kernel clients, and
every driver directory whose Kconfig selects the GEM DMA helpers, with
W=1.  It fails on a finding an object did not have at the base, on a
build error, and on a module there that uses a symbol no one exports
(modpost's check, made with nm as the build checks do).
Sparse runs in the CI tier's build checks, not here.

An architecture whose configuration the mirror does not serve is a
failure, unless configs/distro-unavailable.txt lists it with the reason.
A listed one is tried at every run; when the mirror still refuses, the
output says that Debian's configuration was not built, and the upstream
configuration of STANDIN is built in its place (for armhf the ARMv7
multiplatform defconfig, which builds Exynos and Rockchip as modules as
armmp does); when the mirror serves it again, the check fails until the
line goes.

A step's verdict is kept by the trees' content, the configuration and the
compiler, so a warm run builds nothing.
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
                    read_conf, read_text, say, write_atomic)

PACKAGE = 'linux-config-7.3'
CONFIGS = {'arm64': 'config.arm64_none_arm64.xz',
           'arm': 'config.armhf_none_armmp.xz'}
# What the series touches, as the configuration sets it: the DMA layer,
# the IOMMU drivers, the DRM core's own objects (drm.o with the dumb-buffer
# ioctl and drm_client, drm_dma_helper.o with the GEM DMA helpers, and the
# other composite objects of drivers/gpu/drm/Makefile), the in-kernel
# clients, and every driver directory whose Kconfig selects the GEM DMA
# helpers at the base or at the last patch (Exynos and Rockchip among
# them).  Not drivers/gpu/drm whole: amdgpu, nouveau, radeon, xe and msm,
# which use no GEM DMA helper, are most of its compile time.
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
    DRM_GEM_DMA_HELPER at any of revs."""
    found = set()
    for rev in revs:
        out = git(checktree.TREE, 'grep', '-l', '-E',
                  r'^\s*select\s+DRM_GEM_DMA_HELPER\b', rev, '--',
                  DRM + '*Kconfig*')
        for line in out.splitlines():
            path = line.split(':', 1)[1]
            if os.path.dirname(path) + '/' != DRM:
                found.add(os.path.dirname(path) + '/')
    return sorted(found)


def debian_config(arch):
    """Debian's configuration for arch, as text."""
    debarch = kbuild.ARCHES[arch].debian
    top = debian.unpacked('%s-%s' % (PACKAGE, debarch),
                          debian.apt_for(read_conf()['suite'], debarch),
                          [PACKAGE])
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
# What must survive olddefconfig as Debian set it.
KEPT = ('CONFIG_DRM', 'CONFIG_IOMMU_', 'CONFIG_DMA_', 'CONFIG_ROCKCHIP_IOMMU',
        'CONFIG_EXYNOS_IOMMU', 'CONFIG_ARM_DMA_USE_IOMMU')


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
    if os.path.exists(mark) and read_text(mark) == text:
        return tree
    os.makedirs(out, exist_ok=True)
    write_atomic(os.path.join(out, 'fragment.config'), adapt(text))
    write_atomic(os.path.join(out, '.config'), adapt(text))
    kbuild.make(arch, checktree.TREE, out, *tree.options, 'olddefconfig')
    want, have = settings(text), settings(
        read_text(os.path.join(out, '.config')))
    lost = sorted(k for k, v in want.items() if k.startswith(KEPT) and
                  not k.startswith(LOST_OK) and have.get(k) != v)
    if lost:
        raise Failure('the %s configuration of %s lost options in '
                      'olddefconfig at the base: %s' % (
                          name, arch, ', '.join(lost[:20])))
    write_atomic(os.path.join(out, '.synced-at'), 'base')
    write_atomic(mark, text)
    return tree


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
    mirror refuses it and gaps lists arch, STANDIN's in its place (said
    aloud); where gaps lists arch but the mirror serves it, a problem."""
    fetch = fetch or debian_config
    standin = standin or standin_config
    try:
        text = fetch(arch)
    except InfraFailure as e:
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


def distro(ctx):
    problems = []
    code = ''.join(open(p, encoding='utf-8').read() for p in
                   (__file__, build_tree.SOURCE, check_build.__file__))
    with checktree.checked_out():
        at = points()
        if len(at) != len(sets.load()) + 1:
            return ['the check tree does not hold every set (%d points)' %
                    len(at)]
        dirs = DIRS + gem_dma_dirs(['base', 'HEAD'])
        say('    directories: %s, and the composite objects of %sMakefile'
            % (' '.join(dirs), DRM))
        gaps = unavailable()
        for arch in CONFIGS:
            checktree.switch('base')
            name, text, stale = configuration(arch, gaps)
            problems += stale
            tree = prepare(arch, text, name)
            common = [arch, name, hashlib.sha256(text.encode())
                      .hexdigest(), kbuild.compiler(arch),
                      hashlib.sha256(code.encode()).hexdigest()]
            verdicts = store.Store(None, os.path.join(tree.out,
                                                      '.verdicts.json'))
            who = '%s (%s)' % (arch, name)
            problems += ['%s: %s' % (who, p) for p in
                         judge(tree, at, common + dirs, verdicts, dirs, who)]
    return problems


def missing_exports(tree, dirs, top_modules):
    """tree.unexported(dirs), with DRM's composite modules counted as
    modules too (they are in drivers/gpu/drm/modules.order, which a build
    of single objects does not write)."""
    missing = set(tree.unexported(dirs))
    if not top_modules:
        return missing
    paths = [os.path.join(tree.out, o) for o in top_modules]
    builtin = [os.path.join(tree.out, d, 'built-in.a') for d in dirs
               if os.path.exists(os.path.join(tree.out, d, 'built-in.a'))]
    orders = [os.path.join(tree.out, d, 'modules.order') for d in dirs]
    modules = paths + [os.path.join(tree.out, ln.strip()) for o in orders
                       if os.path.exists(o) for ln in open(o, encoding='utf-8')
                       if ln.strip()]
    everywhere = tree.symbols(builtin + modules, True)
    exported = {x[len('__export_symbol_'):] for x in everywhere
                if x.startswith('__export_symbol_')}
    for mod in modules:
        for sym in tree.symbols([mod], False):
            if sym in everywhere and sym not in exported:
                missing.add((os.path.relpath(mod, tree.out), sym))
    return missing


def judge(tree, at, common, verdicts, dirs, who):
    base_found = None
    problems = []
    for label, rev in at:
        k = store.key(common, checktree.tree_id(rev))
        verdict = verdicts.get(k)
        if verdict is not None and (label != 'base' or 'findings' in verdict):
            say('    %s %s: unchanged since the last run: %d objects, %d '
                'new findings' % (who, label, verdict['objects'],
                                  len(verdict['new'])))
            if label == 'base':
                base_found = {o: set(v) for o, v in
                              verdict['findings'].items()}
            problems += ['%s: %s' % (label, p) for p in verdict['new']]
            continue
        t0 = time.monotonic()
        check_build.sync(tree, rev)
        config = settings(read_text(os.path.join(tree.out, '.config')))
        tops = top_objects(read_text(os.path.join(checktree.TREE, DRM,
                                                  'Makefile')), config)
        inside = built_in(tops, {DRM + n for n in os.listdir(
            os.path.join(checktree.TREE, DRM))})
        if inside:
            return problems + ['%s: %s' % (label, p) for p in inside]
        log = tree.make(rev[:12], *(dirs + [o for o, _ in tops]))
        built = tree.objects()
        found = check_build.merge(tree.findings(built), log)
        found = {o: set(v) for o, v in found.items() if v}
        unexported = sorted(missing_exports(
            tree, dirs, [o for o, module in tops if module]))
        if label == 'base':
            base_found = found
            new = ['%s uses %s, which is not exported (at the base)' % m
                   for m in unexported]
            verdict = {'objects': len(built), 'new': new,
                       'findings': {o: sorted(v) for o, v in found.items()}}
        else:
            new = sorted('%s: %s' % (o or 'build', line)
                         for o, lines in found.items()
                         for line in lines - base_found.get(o, set()))
            new += ['%s uses %s, which is not exported' % m
                    for m in unexported]
            verdict = {'objects': len(built), 'new': new}
        verdicts.put(k, verdict)
        say('    %s %s: %d objects, %d findings, %d new (%.0f s)' % (
            who, label, len(built),
            sum(len(v) for v in found.values()), len(new),
            time.monotonic() - t0))
        if not built:
            problems.append('%s: built no object' % label)
        problems += ['%s: %s' % (label, p) for p in new]
    return problems
