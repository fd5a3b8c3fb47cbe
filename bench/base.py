# SPDX-License-Identifier: GPL-2.0
"""Fetch, verify and unpack the pinned base (Debian's linux-source).

The .deb comes through a private apt configuration under the cache, built
from the Debian mirror named in the machine's own apt sources.  The
unpacked tree becomes a bare git repository with one commit, tagged
`base`, made with fixed dates so that every machine gets the same id.
"""

import hashlib
import os
import re
import shutil

import debian
from common import CACHE, InfraFailure, Timer, read_conf, run, say

DEB_DIR = os.path.join(CACHE, 'deb')
BASE_DIR = os.path.join(CACHE, 'base')
BASE_GIT = os.path.join(BASE_DIR, 'base.git')
DEBIAN_TOUCHED = os.path.join(BASE_DIR, 'debian-touched.txt')
# Bump when the way the base repository is made changes.
RECIPE = 2
# Tracked dot-files that upstream's top-level .gitignore excepts from '.*'.
DOT_FILES = ('.clang-format', '.clippy.toml', '.cocciconfig', '.editorconfig',
             '.get_maintainer.ignore', '.gitattributes', '.gitignore',
             '.kunitconfig', '.mailmap', '.pylintrc', '.rustfmt.toml',
             '.renames.txt')


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def archive_versions(conf, apt):
    """{version: sha256} of the package in the private apt lists."""
    return {s['Version']: s.get('SHA256') for s in apt.show(conf['package'])
            if 'Version' in s}


def fetch_deb(conf):
    """Return the path of the verified .deb, downloading it if needed."""
    version = os.environ.get('BASE_VERSION') or conf['version']
    want = conf['sha256'] if version == conf['version'] else None
    name = '%s_%s_all.deb' % (conf['package'], version)
    path = os.path.join(DEB_DIR, name)
    os.makedirs(DEB_DIR, exist_ok=True)
    if want and os.path.exists(path):
        if sha256(path) == want:
            return path, version
        os.unlink(path)
        say('the cached %s did not match its checksum: removed, fetching '
            'it again' % name)

    apt = debian.apt_for(conf['suite'])
    with Timer('apt-get update (private configuration, suite %s)'
               % conf['suite']):
        apt.update()
    versions = archive_versions(conf, apt)
    if version not in versions:
        newest = sorted((v for v in versions if v.startswith('7.3.')),
                        key=debian_version_key)
        hint = ('the newest 7.3.x in %s is %s: to use it, run again with '
                'BASE_VERSION=%s (an explicit opt-in; the cover letter and '
                'base.conf must then be updated)' %
                (conf['suite'], newest[-1], newest[-1])) if newest else \
            'no 7.3.x is in %s at all' % conf['suite']
        raise InfraFailure('%s %s is no longer in the archive; %s' %
                      (conf['package'], version, hint))
    if want and versions[version] != want:
        raise InfraFailure('the archive lists %s %s with SHA-256 %s, '
                           'base.conf pins %s: refusing to continue' %
                      (conf['package'], version, versions[version], want))
    want = versions[version]
    with Timer('download %s' % name):
        tmpdir = os.path.join(DEB_DIR, 'partial')
        shutil.rmtree(tmpdir, ignore_errors=True)
        os.makedirs(tmpdir)
        got = apt.download(['%s=%s' % (conf['package'], version)], tmpdir)
        if len(got) != 1 or sha256(got[0]) != want:
            shutil.rmtree(tmpdir, ignore_errors=True)
            raise InfraFailure('the downloaded %s does not match SHA-256 %s; '
                               'removed it, run again' % (name, want))
        os.replace(got[0], path)
        shutil.rmtree(tmpdir, ignore_errors=True)
    return path, version


def debian_version_key(version):
    return [int(x) if x.isdigit() else x
            for x in re.split(r'(\d+)', version)]


def restore_upstream_gitignore(tree):
    """Drop the Debian packaging block that ignores every top-level path."""
    path = os.path.join(tree, '.gitignore')
    with open(path, encoding='utf-8') as f:
        text = f.read()
    cut = text.find('\n#\n# Debian packaging')
    if cut >= 0:
        text = text[:cut + 1]
    # Debian also drops upstream's exceptions for tracked dot-files, which
    # makes the kernel's build warn about every one of them.
    if '\n!.gitignore\n' not in text:
        text = text.replace('\n.*\n', '\n.*\n' + ''.join(
            '!%s\n' % name for name in DOT_FILES), 1)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def debian_touched(tree):
    """Files whose mtime differs from the upstream release's.

    Debian's tarball keeps upstream's timestamp on every file that no
    Debian patch changed; files patched (or added) while building the
    package carry the packaging time instead.
    """
    stamps = {}
    for root, dirs, files in os.walk(tree):
        for name in files:
            path = os.path.join(root, name)
            stamps[os.path.relpath(path, tree)] = int(os.lstat(path).st_mtime)
    counts = {}
    for stamp in stamps.values():
        counts[stamp] = counts.get(stamp, 0) + 1
    upstream = max(counts, key=counts.get)
    return upstream, sorted(p for p, s in stamps.items() if s != upstream)


def unpack(conf, deb, version):
    """Make the bare base repository from the .deb (once)."""
    stamp = os.path.join(BASE_DIR, 'stamp')
    ident = '%s %s %s recipe %d\n' % (conf['package'], version,
                                       sha256_cached(deb), RECIPE)
    if os.path.exists(stamp) and open(stamp, encoding='utf-8').read() == ident:
        return
    shutil.rmtree(BASE_DIR, ignore_errors=True)
    os.makedirs(BASE_DIR)
    src = os.path.join(BASE_DIR, 'src')
    os.makedirs(src)
    with Timer('unpack %s' % os.path.basename(deb)):
        tarname = './usr/src/%s.tar.xz' % conf['package']
        code, out = run(['bash', '-o', 'pipefail', '-c',
                         'dpkg-deb --fsys-tarfile "$1" | tar -xO -f - "$2" | '
                         'tar -xJ -C "$3" --strip-components=1',
                         'unpack', deb, tarname, src], check=False)
        if code:
            shutil.rmtree(BASE_DIR, ignore_errors=True)
            raise InfraFailure('%s is corrupt (dpkg-deb or tar failed): '
                               'delete it and run again\n%s' % (deb, out))
    upstream_time, touched = debian_touched(src)
    restore_upstream_gitignore(src)
    with Timer('commit the base tree (%d files Debian patched)'
               % len(touched)):
        tmp_git = BASE_GIT + '.tmp'
        env = {'GIT_DIR': tmp_git, 'GIT_WORK_TREE': src,
               'GIT_AUTHOR_NAME': 'Debian kernel team',
               'GIT_AUTHOR_EMAIL': 'debian-kernel@lists.debian.org',
               'GIT_COMMITTER_NAME': 'Debian kernel team',
               'GIT_COMMITTER_EMAIL': 'debian-kernel@lists.debian.org',
               'GIT_AUTHOR_DATE': '@%d +0000' % upstream_time,
               'GIT_COMMITTER_DATE': '@%d +0000' % upstream_time}
        run(['git', 'init', '-q', '--bare', tmp_git])
        run(['git', 'add', '-A', '-f', '.'], cwd=src, env=env)
        run(['git', 'commit', '-q', '-m',
             'Linux %s as shipped in Debian %s %s\n\n'
             'The top-level .gitignore has the Debian packaging rules that '
             'ignore\nevery top-level path removed, as upstream has it.'
             % (conf['upstream'], conf['package'], version)],
            cwd=src, env=env)
        run(['git', 'tag', 'base'], cwd=src, env=env)
        _, ignored = run(['git', 'ls-files', '-i', '-c',
                          '--exclude-per-directory=.gitignore'],
                         cwd=src, env=env)
        if ignored.strip():
            say('warning: tracked files still ignored by .gitignore:\n' +
                ignored[:2000])
        run(['git', '--git-dir', tmp_git, 'gc', '-q', '--auto'])
        os.replace(tmp_git, BASE_GIT)
    with open(DEBIAN_TOUCHED, 'w', encoding='utf-8') as f:
        f.write('\n'.join(touched) + '\n')
    shutil.rmtree(src)
    with open(stamp, 'w', encoding='utf-8') as f:
        f.write(ident)


_SHA = {}


def sha256_cached(path):
    if path not in _SHA:
        _SHA[path] = sha256(path)
    return _SHA[path]


def ensure_base():
    """Fetch, verify and unpack the base; return the bare repository."""
    conf = read_conf()
    deb, version = fetch_deb(conf)
    unpack(conf, deb, version)
    return BASE_GIT, version
