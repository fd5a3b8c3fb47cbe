# SPDX-License-Identifier: GPL-2.0
"""Fetch, verify and unpack the pinned base (Debian's linux-source).

The .deb comes through a private apt configuration under the cache, built
from the Debian mirror named in the machine's own apt sources.  The
unpacked tree becomes a bare git repository with one commit, tagged
`base`, made with fixed dates so that every machine gets the same id.
"""

import glob
import hashlib
import os
import re
import shutil

from common import CACHE, Failure, Timer, read_conf, run, say

APT_DIR = os.path.join(CACHE, 'apt')
DEB_DIR = os.path.join(CACHE, 'deb')
BASE_DIR = os.path.join(CACHE, 'base')
BASE_GIT = os.path.join(BASE_DIR, 'base.git')
DEBIAN_TOUCHED = os.path.join(BASE_DIR, 'debian-touched.txt')
KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'
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


def machine_mirror():
    """The Debian mirror of the machine's apt sources (never hard-coded)."""
    files = glob.glob('/etc/apt/sources.list.d/*.sources')
    files += glob.glob('/etc/apt/sources.list.d/*.list')
    files.insert(0, '/etc/apt/sources.list')
    for path in files:
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except OSError:
            continue
        if path.endswith('.sources'):
            for stanza in re.split(r'\n\s*\n', text):
                if re.search(r'^Enabled:\s*no', stanza, re.M | re.I):
                    continue
                m = re.search(r'^URIs:\s*(.+)$', stanza, re.M)
                suites = re.search(r'^Suites:\s*(.+)$', stanza, re.M)
                if m and suites and '-security' not in suites.group(1):
                    for uri in m.group(1).split():
                        if uri.rstrip('/').endswith('/debian'):
                            return uri.rstrip('/')
        else:
            for line in text.splitlines():
                m = re.match(r'\s*deb\s+(\[[^]]*\]\s+)?(\S+)\s+(\S+)', line)
                if m and '-security' not in m.group(3) and \
                        m.group(2).rstrip('/').endswith('/debian'):
                    return m.group(2).rstrip('/')
    raise Failure('no Debian mirror found in /etc/apt/sources.list(.d): '
                  'add the Debian archive to the machine\'s apt sources')


def apt_env(suite, apt_dir=APT_DIR, arch=None):
    """Write a private apt configuration for one suite; return its env.

    With arch (a Debian architecture), the configuration lists and
    downloads that architecture's packages only.
    """
    for sub in ('lists/partial', 'cache/archives/partial', 'etc/sources.list.d',
                'etc/preferences.d'):
        os.makedirs(os.path.join(apt_dir, sub), exist_ok=True)
    if not os.path.exists(KEYRING):
        raise Failure('%s is missing: apt-get install debian-archive-keyring'
                      % KEYRING)
    mirror = machine_mirror()
    with open(os.path.join(apt_dir, 'etc/sources.list'), 'w',
              encoding='utf-8') as f:
        f.write('deb [signed-by=%s] %s %s main\n' % (KEYRING, mirror, suite))
    status = os.path.join(apt_dir, 'status')
    open(status, 'a', encoding='utf-8').close()
    settings = {
        'Dir::Etc::SourceList': 'etc/sources.list',
        'Dir::Etc::SourceParts': 'etc/sources.list.d',
        'Dir::Etc::Preferences': 'etc/preferences',
        'Dir::Etc::PreferencesParts': 'etc/preferences.d',
        'Dir::State::Lists': 'lists',
        'Dir::Cache': 'cache',
        'Dir::State::status': 'status',
    }
    with open(os.path.join(apt_dir, 'apt.conf'), 'w', encoding='utf-8') as f:
        for key, value in settings.items():
            f.write('%s "%s";\n' % (key, os.path.join(apt_dir, value)))
        # sid's Release file has been seen past its Valid-Until date.
        f.write('Acquire::Check-Valid-Until "false";\n')
        f.write('APT::Sandbox::User "root";\n')
        if arch:
            f.write('APT::Architecture "%s";\n' % arch)
            f.write('APT::Architectures { "%s"; };\n' % arch)
    return {'APT_CONFIG': os.path.join(apt_dir, 'apt.conf')}


def archive_versions(conf, env):
    """{version: sha256} of the package in the private apt lists."""
    _, out = run(['apt-cache', 'show', conf['package']], env=env,
                 check=False)
    found = {}
    version = None
    for line in (out or '').splitlines():
        if line.startswith('Version: '):
            version = line.split(None, 1)[1]
        elif line.startswith('SHA256: ') and version:
            found[version] = line.split(None, 1)[1]
    return found


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

    env = apt_env(conf['suite'])
    with Timer('apt-get update (private configuration, suite %s)'
               % conf['suite']):
        code, out = run(['apt-get', 'update'], env=env, check=False)
        if code != 0 or re.search(r'^(Err:|W: Failed to fetch|E: )', out or '',
                                  re.M):
            raise Failure('apt-get update could not read %s from the '
                          'mirror: is the network down?\n%s' % (
                              conf['suite'], (out or '')[-1500:]))
    versions = archive_versions(conf, env)
    if version not in versions:
        newest = sorted((v for v in versions if v.startswith('7.3.')),
                        key=debian_version_key)
        hint = ('the newest 7.3.x in %s is %s: to use it, run again with '
                'BASE_VERSION=%s (an explicit opt-in; the cover letter and '
                'base.conf must then be updated)' %
                (conf['suite'], newest[-1], newest[-1])) if newest else \
            'no 7.3.x is in %s at all' % conf['suite']
        raise Failure('%s %s is no longer in the archive; %s' %
                      (conf['package'], version, hint))
    if want and versions[version] != want:
        raise Failure('the archive lists %s %s with SHA-256 %s, base.conf '
                      'pins %s: refusing to continue' %
                      (conf['package'], version, versions[version], want))
    want = versions[version]
    with Timer('download %s' % name):
        tmpdir = os.path.join(DEB_DIR, 'partial')
        shutil.rmtree(tmpdir, ignore_errors=True)
        os.makedirs(tmpdir)
        run(['apt-get', 'download',
             '%s=%s' % (conf['package'], version)], cwd=tmpdir, env=env)
        got = glob.glob(os.path.join(tmpdir, '*.deb'))
        if len(got) != 1 or sha256(got[0]) != want:
            shutil.rmtree(tmpdir, ignore_errors=True)
            raise Failure('the downloaded %s does not match SHA-256 %s; '
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
            raise Failure('%s is corrupt (dpkg-deb or tar failed): delete '
                          'it and run again\n%s' % (deb, out))
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
