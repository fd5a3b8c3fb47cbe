# SPDX-License-Identifier: GPL-2.0
"""The guests' kernels and device trees.

Both kernels of a guest are built one after the other in one build tree,
build/guest-<kernel>, from the check tree: first its base commit, then its
HEAD, so the patched build recompiles only what the series changes and
what depends on it.  Each image is kept in the build tree's kernels/ with
a stamp naming what it was built from (the source tree, the fragments, the
compilers); while that matches, it is used again without running make.
Guests that boot the same Kernel share it.
"""

import hashlib
import os
import shutil
import subprocess
import time

import checktree
import kbuild
from common import CONFIGS, LOGS, Failure, run, say


def build_dir(kernel):
    return os.path.join(kbuild.BUILD, 'guest-' + kernel.name)


def fragments(kernel, variant):
    """The configuration fragments of a kernel's variant."""
    return kernel.configs + (kernel.patched_configs
                             if variant == 'patched' else ())


def stamp(kernel, variant, src):
    parts = [src, kernel.image,
             kbuild.fragment_lines(fragments(kernel, variant)),
             kbuild.compiler(kernel.arch), kbuild.compiler('x86_64')]
    return hashlib.sha256('\0'.join(parts).encode()).hexdigest()


def image(kernel, variant):
    """The kernel image of variant ('base' or 'patched'), built if need be;
    returns its path."""
    out = build_dir(kernel)
    keep = os.path.join(out, 'kernels')
    path = os.path.join(keep, '%s-%s' % (variant,
                                         os.path.basename(kernel.image)))
    rev = 'base' if variant == 'base' else 'HEAD'
    want = stamp(kernel, variant, checktree.tree_id(rev))
    stamp_file = os.path.join(keep, variant + '.stamp')
    if os.path.exists(stamp_file) and os.path.exists(path) and \
            open(stamp_file, encoding='utf-8').read() == want:
        say('    %s %s kernel: kept from an earlier run' % (kernel.name,
                                                           variant))
        return path
    os.makedirs(keep, exist_ok=True)
    t0 = time.monotonic()
    with checktree.checked_out(rev):
        kbuild.configure(kernel.arch, checktree.TREE, out, 'tinyconfig',
                         fragments(kernel, variant))
        log = os.path.join(LOGS, 'build', 'guest-%s-%s.log' % (kernel.name,
                                                              variant))
        code, _ = kbuild.make(kernel.arch, checktree.TREE, out,
                              os.path.basename(kernel.image), log=log,
                              what='%s %s kernel' % (kernel.name, variant),
                              check=False)
        if code:
            raise Failure('the %s %s kernel does not build; log %s' % (
                kernel.name, variant, log))
    shutil.copy(os.path.join(out, kernel.image), path)
    with open(stamp_file, 'w', encoding='utf-8') as f:
        f.write(want)
    say('    %s %s kernel: built in %.0f s' % (kernel.name, variant,
                                             time.monotonic() - t0))
    return path


def built_from(kernel, variant):
    """The stamp of the kept image of variant (what it was built from)."""
    path = os.path.join(build_dir(kernel), 'kernels', variant + '.stamp')
    with open(path, encoding='utf-8') as f:
        return f.read()


def dtb(guest):
    """The guest's test device tree, compiled with the kernel's dtc from the
    check tree at HEAD.  Both kernels boot with it: the series must change
    no device tree source, binding header or dtc (checked here)."""
    if not guest.dts:
        return None
    dt_paths = ['arch/*/boot/dts', 'include/dt-bindings', 'scripts/dtc']
    code, _ = run(['git', '-C', checktree.TREE, 'diff', '--quiet', 'base',
                   'HEAD', '--'] + dt_paths, check=False)
    if code:
        raise Failure('the series changes %s: the base kernel needs a '
                      'device tree of its own' % ', '.join(dt_paths))
    out = build_dir(guest.kernel)
    kbuild.make(guest.arch, checktree.TREE, out, 'scripts_dtc')
    karch = kbuild.ARCHES[guest.arch].karch
    pre = subprocess.run(
        ['cpp', '-nostdinc', '-undef', '-D__DTS__', '-x',
         'assembler-with-cpp', '-I',
         os.path.join(checktree.TREE, 'arch', karch, 'boot', 'dts'),
         '-I', os.path.join(checktree.TREE, 'scripts', 'dtc',
                            'include-prefixes'),
         os.path.join(CONFIGS, guest.dts)], capture_output=True, check=False)
    if pre.returncode:
        raise Failure('configs/%s: cpp failed:\n%s' % (
            guest.dts, pre.stderr.decode(errors='replace')[-1500:]))
    path = os.path.join(out, 'kernels', os.path.splitext(guest.dts)[0] +
                        '.dtb')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    proc = subprocess.run([os.path.join(out, 'scripts', 'dtc', 'dtc'), '-q',
                           '-I', 'dts', '-O', 'dtb', '-o', path, '-'],
                          input=pre.stdout, capture_output=True, check=False)
    if proc.returncode:
        raise Failure('configs/%s: dtc failed:\n%s' % (
            guest.dts, proc.stderr.decode(errors='replace')[-1500:]))
    return path
