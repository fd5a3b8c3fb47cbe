# SPDX-License-Identifier: GPL-2.0
"""The series' kselftests and dumbprobe, built once per arch, statically,
against the patched tree's UAPI headers.  The kselftest-build check builds
and checks them; the guests run the same binaries.
"""

import os

import checktree
import kbuild
from common import CACHE, TOP, Failure, LOGS, read_text, run

TARGET = 'drm'
PROGRAMS = ('dumb_buffers', 'exynos_gem')
DUMBPROBE = os.path.join(TOP, 'bench', 'guest', 'dumbprobe.c')
# readelf's Machine field for each arch.
MACHINE = {'x86_64': 'Advanced Micro Devices X86-64', 'arm': 'ARM',
           'arm64': 'AArch64'}


def out_dir(arch):
    return os.path.join(CACHE, 'build', 'kselftest-' + arch)


def programs(arch):
    """{name: path} of the built programs."""
    where = os.path.join(out_dir(arch), 'kselftest', TARGET)
    found = {p: os.path.join(where, p) for p in PROGRAMS}
    found['dumbprobe'] = os.path.join(out_dir(arch), 'dumbprobe')
    return found


def uapi_headers(arch):
    """The patched tree's UAPI headers for arch (make headers)."""
    out = os.path.join(CACHE, 'build', 'uapi-' + arch)
    kbuild.make(arch, checktree.TREE, out, 'headers')
    return os.path.join(out, 'usr', 'include')


def static_elf(arch, path):
    """Why path is not a static executable of arch, or None."""
    if not os.path.exists(path):
        return 'was not built'
    _, out = run(['readelf', '-h', '-l', path], check=False)
    if MACHINE[arch] not in out:
        return 'is not an %s executable' % arch
    if 'INTERP' in out:
        return 'is linked dynamically'
    return None


def build(arch):
    """Build for arch; return (programs, warning lines).  Raise Failure
    when the build fails or a program is missing or not static."""
    hdr = uapi_headers(arch)
    a = kbuild.ARCHES[arch]
    log = os.path.join(LOGS, 'build', 'kselftest-%s.log' % arch)
    code, _ = run(['make', '-C', os.path.join(checktree.TREE,
                                              'tools/testing/selftests'),
                   'TARGETS=' + TARGET, 'ARCH=' + a.karch,
                   'CROSS_COMPILE=' + a.cross, 'O=' + out_dir(arch),
                   'LDFLAGS=-static', 'KHDR_INCLUDES=-isystem ' + hdr],
                  log=log, check=False)
    text = read_text(log)
    if code:
        raise Failure('%s: the kselftests do not build (log %s):\n%s' % (
            arch, log, '\n'.join(text.splitlines()[-15:])))
    probe = programs(arch)['dumbprobe']
    code, out = run([a.cross + 'gcc', '-static', '-O2', '-Wall', '-Wextra',
                     '-isystem', hdr, '-I', os.path.join(
                         checktree.TREE, 'tools/testing/selftests', TARGET),
                     '-o', probe, DUMBPROBE], check=False)
    if code:
        raise Failure('%s: dumbprobe does not build:\n%s' % (arch, out))
    warnings = [ln for ln in (text + out).splitlines() if 'warning:' in ln]
    for name, path in programs(arch).items():
        why = static_elf(arch, path)
        if why:
            raise Failure('%s: %s %s' % (arch, name, why))
    return programs(arch), warnings
