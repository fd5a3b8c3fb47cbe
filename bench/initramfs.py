# SPDX-License-Identifier: GPL-2.0
"""A guest's initramfs: busybox, bench/guest/init.sh as /init with its
configuration, the programs it runs, and the Debian userspace some guests
need (libdrm's modetest, IGT GPU Tools), taken from Debian's packages.

busybox is the machine's busybox-static on amd64 and the same package of
the machine's release, fetched from its mirror, elsewhere.  modetest comes
from the machine's release too.  IGT's test programs are built by Debian
for amd64 only, in sid: the package and what it depends on are unpacked
into the cache, and the initramfs gets the programs, the shared libraries
their ELF NEEDED entries lead to, and sid's dynamic loader.
"""

import os
import re
import shutil
import subprocess

import debian
import kbuild
from common import CACHE, TOP, InfraFailure

INIT = os.path.join(TOP, 'bench', 'guest', 'init.sh')
IGT_PACKAGE = 'igt-gpu-tools-tests'
IGT_BIN = 'usr/libexec/igt-gpu-tools'
IGT_LIBS = 'usr/lib/x86_64-linux-gnu'
IGT_LIBDIRS = (IGT_LIBS, 'lib/x86_64-linux-gnu', 'usr/lib')
IGT_LOADER = 'lib64/ld-linux-x86-64.so.2'
MODETEST_PACKAGES = ['libc6', 'libdrm2', 'libdrm-tests']
MODETEST_FILES = [r'usr/bin/modetest$', r'lib/ld-linux[^/]*\.so\.\d+$',
                  r'lib/[^/]+-linux-gnu[^/]*/(ld-linux|libc|libm|libdrm)'
                  r'[^/]*\.so[.\d]*$']


def busybox(arch):
    """A statically linked busybox for the arch."""
    debarch = kbuild.ARCHES[arch].debian
    if debarch == 'amd64':
        path = '/bin/busybox'
    else:
        top = debian.unpacked('busybox-static-' + debarch, debian.apt_for(
            debian.host_release(), debarch), ['busybox-static'])
        path = os.path.join(top, 'bin', 'busybox')
    with open(path, 'rb') as f:
        if b'/ld-linux' in f.read(8192):
            raise InfraFailure('%s is linked dynamically; the guest needs the '
                               'one from busybox-static' % path)
    return path


def modetest_files(arch):
    """{path in the guest: path on the host} for modetest."""
    debarch = kbuild.ARCHES[arch].debian
    top = debian.unpacked('modetest-' + debarch, debian.apt_for(
        debian.host_release(), debarch), MODETEST_PACKAGES)
    found = {}
    for dirpath, _, names in os.walk(top):
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), top)
            if any(re.search(p, rel) for p in MODETEST_FILES):
                found[rel] = os.path.join(dirpath, name)
    if not any(rel.endswith('bin/modetest') for rel in found):
        raise InfraFailure('libdrm-tests for %s holds no modetest' % debarch)
    return found


def elf_needed(path):
    proc = subprocess.run(['readelf', '-d', path], capture_output=True,
                          text=True, check=False)
    return re.findall(r'\(NEEDED\).*\[(.*)\]', proc.stdout)


def igt_files(tests):
    """{path in the guest: path on the host} for IGT test programs."""
    apt = debian.apt_for('sid', 'amd64')
    top = os.path.join(debian.UNPACKED, 'igt-sid-amd64')
    if not os.path.isdir(top):
        top = debian.unpacked('igt-sid-amd64', apt, apt.depends(IGT_PACKAGE))
    found, todo, seen = {}, [], set()
    for test in tests:
        rel = os.path.join(IGT_BIN, test)
        if not os.path.exists(os.path.join(top, rel)):
            raise InfraFailure('%s holds no %s' % (IGT_PACKAGE, rel))
        found[rel] = os.path.join(top, rel)
        todo.append(found[rel])
    while todo:
        for soname in elf_needed(todo.pop()):
            if soname in seen:
                continue
            seen.add(soname)
            hosts = [os.path.join(top, d, soname) for d in IGT_LIBDIRS
                     if os.path.exists(os.path.join(top, d, soname))]
            if not hosts:
                raise InfraFailure('%s needs %s, which its dependencies do '
                                   'not hold' % (IGT_PACKAGE, soname))
            found[os.path.join(IGT_LIBS, soname)] = os.path.realpath(hosts[0])
            todo.append(os.path.realpath(hosts[0]))
    for libdir in IGT_LIBDIRS:
        host = os.path.join(top, libdir, os.path.basename(IGT_LOADER))
        if os.path.exists(host):
            found[IGT_LOADER] = os.path.realpath(host)
            return found
    raise InfraFailure('%s\'s dependencies hold no %s' % (
        IGT_PACKAGE, os.path.basename(IGT_LOADER)))


def config(guest, mode):
    """/etc/guest.conf: what init.sh runs on this guest."""
    values = {'MODE': mode, 'DRIVER': guest.driver or '',
              'SETUP': guest.setup,
              'KSELFTESTS': ' '.join(guest.kselftests),
              'FBDEV': '1' if guest.fbdev else '',
              'MODETEST': '1' if guest.modetest else '',
              'IGT': ' '.join(guest.igt) if mode == 'test' else '',
              'LEAKSCAN': '1' if guest.leakscan else '',
              'LIBS': '/' + IGT_LIBS if guest.igt and mode == 'test' else ''}
    return ''.join("%s='%s'\n" % (k, v.replace("'", "'\\''"))
                   for k, v in values.items())


def build(guest, programs, bench=None):
    """An uncompressed cpio archive for the guest; with bench (dumbprobe
    command lines), /init runs those instead of the tests."""
    mode = 'bench' if bench else 'test'
    root = os.path.join(CACHE, 'guest', 'initramfs-%s-%s' % (guest.name,
                                                            mode))
    shutil.rmtree(root, ignore_errors=True)
    for d in ('bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'tests'):
        os.makedirs(os.path.join(root, d))
    shutil.copy(busybox(guest.arch), os.path.join(root, 'bin', 'busybox'))
    shutil.copy(INIT, os.path.join(root, 'init'))
    os.chmod(os.path.join(root, 'init'), 0o755)
    for name, path in programs.items():
        shutil.copy(path, os.path.join(root, 'tests', name))
    extra = modetest_files(guest.arch) if guest.modetest else {}
    if guest.igt and not bench:
        extra.update(igt_files(guest.igt))
    for rel, host in extra.items():
        os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
        shutil.copy(host, os.path.join(root, rel), follow_symlinks=True)
    with open(os.path.join(root, 'etc', 'guest.conf'), 'w',
              encoding='utf-8') as f:
        f.write(config(guest, mode))
    with open(os.path.join(root, 'etc', 'probes'), 'w',
              encoding='utf-8') as f:
        f.write(''.join(p + '\n' for p in guest.probes))
    with open(os.path.join(root, 'etc', 'bench'), 'w',
              encoding='utf-8') as f:
        f.write(''.join(p + '\n' for p in bench or ()))
    archive = root + '.cpio'
    files = subprocess.run(['find', '.'], cwd=root, check=True,
                           capture_output=True).stdout
    with open(archive, 'wb') as out:
        subprocess.run(['cpio', '-o', '-H', 'newc', '--quiet'], cwd=root,
                       input=files, stdout=out, check=True)
    return archive
