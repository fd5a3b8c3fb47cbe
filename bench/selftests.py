# SPDX-License-Identifier: GPL-2.0
"""The series' kselftests and dumbprobe, built once per arch, statically,
against the patched tree's UAPI headers.  The kselftest-build check builds
and checks them; the guests run the same binaries.  Which programs there
are comes from the selftests' Makefile in the check tree as checked out
(TEST_GEN_PROGS), so that the tree at any patch from the one that adds
them builds what it has.
"""

import os
import re

import checktree
import kbuild
from common import CACHE, TOP, Failure, LOGS, read_text, run

TARGET = 'drm'
MAKEFILE = os.path.join('tools', 'testing', 'selftests', TARGET, 'Makefile')
DUMBPROBE = os.path.join(TOP, 'bench', 'guest', 'dumbprobe.c')
# readelf's Machine field for each arch.
MACHINE = {'x86_64': 'Advanced Micro Devices X86-64', 'arm': 'ARM',
           'arm64': 'AArch64'}


def names(text):
    """The programs a selftests Makefile builds: the words of its
    TEST_GEN_PROGS assignments (=, := and +=), continuations joined."""
    found = []
    text = text.replace('\\\n', ' ')
    for m in re.finditer(r'^TEST_GEN_PROGS\s*(\+?|:?)=(.*)$', text, re.M):
        if m.group(1) != '+':
            found = []
        found += m.group(2).split()
    return found


def tree_names():
    """The programs of the check tree's selftests Makefile, as checked out;
    fail if there is none or it names none."""
    path = os.path.join(checktree.TREE, MAKEFILE)
    if not os.path.exists(path):
        raise Failure('the check tree has no %s' % MAKEFILE)
    found = names(read_text(path))
    if not found:
        raise Failure('%s names no TEST_GEN_PROGS' % MAKEFILE)
    return found


def out_dir(arch, where=''):
    """The build directory; where names another one for the same arch (the
    tree at other commits than HEAD)."""
    return os.path.join(CACHE, 'build', 'kselftest-' + arch +
                        ('-' + where if where else ''))


def programs(arch, where=''):
    """{name: path} of the programs built from the check tree as checked
    out."""
    top = os.path.join(out_dir(arch, where), 'kselftest', TARGET)
    found = {p: os.path.join(top, p) for p in tree_names()}
    found['dumbprobe'] = os.path.join(out_dir(arch, where), 'dumbprobe')
    return found


def uapi_headers(arch, where=''):
    """The check tree's UAPI headers for arch (make headers)."""
    out = os.path.join(CACHE, 'build', 'uapi-' + arch +
                       ('-' + where if where else ''))
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


def build(arch, where=''):
    """Build for arch from the check tree as checked out; return
    (programs, warning lines).  Raise Failure when the build fails or a
    program is missing or not static."""
    hdr = uapi_headers(arch, where)
    a = kbuild.ARCHES[arch]
    log = os.path.join(LOGS, 'build', 'kselftest-%s.log' % (
        arch + ('-' + where if where else '')))
    code, _ = run(['make', '-C', os.path.join(checktree.TREE,
                                              'tools/testing/selftests'),
                   'TARGETS=' + TARGET, 'ARCH=' + a.karch,
                   'CROSS_COMPILE=' + a.cross, 'O=' + out_dir(arch, where),
                   'LDFLAGS=-static', 'KHDR_INCLUDES=-isystem ' + hdr],
                  log=log, check=False)
    text = read_text(log)
    if code:
        raise Failure('%s: the kselftests do not build (log %s):\n%s' % (
            arch, log, '\n'.join(text.splitlines()[-15:])))
    built = programs(arch, where)
    probe = built['dumbprobe']
    code, out = run([a.cross + 'gcc', '-static', '-O2', '-Wall', '-Wextra',
                     '-isystem', hdr, '-I', os.path.join(
                         checktree.TREE, 'tools/testing/selftests', TARGET),
                     '-o', probe, DUMBPROBE], check=False)
    if code:
        raise Failure('%s: dumbprobe does not build:\n%s' % (arch, out))
    warnings = [ln for ln in (text + out).splitlines() if 'warning:' in ln]
    for name, path in built.items():
        why = static_elf(arch, path)
        if why:
            raise Failure('%s: %s %s' % (arch, name, why))
    return built, warnings
