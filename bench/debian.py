# SPDX-License-Identifier: GPL-2.0
"""Debian packages fetched into the cache, never installed on the machine.

Every fetch goes through a private apt configuration under the cache, one
per suite and architecture, built from the Debian mirror of the machine's
own apt sources (no host name is written anywhere in the workbench), so
the machine's apt state is not touched.  Packages are unpacked with
dpkg-deb into a directory that appears only once everything is in it.
"""

import glob
import os
import re
import shutil

from common import CACHE, InfraFailure, run, say

KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg'
# apt's words for a package the mirror answered but does not have.
REFUSED = re.compile(r"\b404\s+Not Found|Unable to locate package|"
                     r"has no installation candidate|"
                     r"Version '[^']*' for '[^']*' was not found")
APT = os.path.join(CACHE, 'apt')
UNPACKED = os.path.join(CACHE, 'debian')


class NotServed(InfraFailure):
    """The mirror answered, and does not have the package (apt said 404,
    or knows no such package or version)."""


def machine_mirror():
    """The Debian mirror of the machine's apt sources."""
    files = ['/etc/apt/sources.list']
    files += sorted(glob.glob('/etc/apt/sources.list.d/*.sources'))
    files += sorted(glob.glob('/etc/apt/sources.list.d/*.list'))
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
                uris = re.search(r'^URIs:\s*(.+)$', stanza, re.M)
                suites = re.search(r'^Suites:\s*(.+)$', stanza, re.M)
                if uris and suites and '-security' not in suites.group(1):
                    for uri in uris.group(1).split():
                        if uri.rstrip('/').endswith('/debian'):
                            return uri.rstrip('/')
        else:
            for line in text.splitlines():
                m = re.match(r'\s*deb\s+(\[[^]]*\]\s+)?(\S+)\s+(\S+)', line)
                if m and '-security' not in m.group(3) and \
                        m.group(2).rstrip('/').endswith('/debian'):
                    return m.group(2).rstrip('/')
    raise InfraFailure('no Debian mirror in /etc/apt/sources.list(.d): add '
                       'the Debian archive to the machine\'s apt sources')


def host_release():
    """The codename of the machine's Debian release."""
    with open('/etc/os-release', encoding='utf-8') as f:
        m = re.search(r'^VERSION_CODENAME=(\S+)', f.read(), re.M)
    if not m:
        raise InfraFailure('/etc/os-release names no VERSION_CODENAME')
    return m.group(1)


class Apt:
    """A private apt configuration for one suite and architecture."""

    def __init__(self, suite, arch=None):
        self.suite = suite
        self.arch = arch
        self.dir = os.path.join(APT, '%s-%s' % (suite, arch or 'native'))
        self.updated = False
        self.env = {'APT_CONFIG': os.path.join(self.dir, 'apt.conf')}
        for sub in ('lists/partial', 'cache/archives/partial',
                    'etc/sources.list.d', 'etc/preferences.d'):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        if not os.path.exists(KEYRING):
            raise InfraFailure('%s is missing: run "sh bench/setup" as root'
                               % KEYRING)
        with open(os.path.join(self.dir, 'etc/sources.list'), 'w',
                  encoding='utf-8') as f:
            f.write('deb [signed-by=%s] %s %s main\n' % (
                KEYRING, machine_mirror(), suite))
        open(os.path.join(self.dir, 'status'), 'a',
             encoding='utf-8').close()
        settings = {
            'Dir::Etc::SourceList': 'etc/sources.list',
            'Dir::Etc::SourceParts': 'etc/sources.list.d',
            'Dir::Etc::Preferences': 'etc/preferences',
            'Dir::Etc::PreferencesParts': 'etc/preferences.d',
            'Dir::State::Lists': 'lists', 'Dir::Cache': 'cache',
            'Dir::State::status': 'status',
        }
        with open(self.env['APT_CONFIG'], 'w', encoding='utf-8') as f:
            for key, value in settings.items():
                f.write('%s "%s";\n' % (key, os.path.join(self.dir, value)))
            # sid's Release file has been seen past its Valid-Until date.
            f.write('Acquire::Check-Valid-Until "false";\n')
            f.write('APT::Sandbox::User "root";\n')
            if arch:
                f.write('APT::Architecture "%s";\n' % arch)
                f.write('APT::Architectures { "%s"; };\n' % arch)

    def what(self):
        return '%s (%s)' % (self.suite, self.arch or 'native')

    def update(self):
        """apt-get update, once per run."""
        if self.updated:
            return
        code, out = run(['apt-get', 'update'], env=self.env, check=False)
        if code or re.search(r'^(Err:|W: Failed to fetch|E: )', out or '',
                             re.M):
            raise InfraFailure('apt-get update could not read %s from the '
                               'mirror %s: is the network down?\n%s' % (
                                   self.what(), machine_mirror(),
                                   (out or '')[-1200:]))
        self.updated = True

    def show(self, package):
        """apt-cache show's stanzas for a package, as dicts."""
        self.update()
        _, out = run(['apt-cache', 'show', package], env=self.env,
                     check=False)
        stanzas = []
        for block in re.split(r'\n\s*\n', out or ''):
            fields = dict(re.findall(r'^([\w-]+): (.*)$', block, re.M))
            if fields.get('Package') == package:
                stanzas.append(fields)
        return stanzas

    def depends(self, package):
        """The real packages a package needs, itself included."""
        self.update()
        code, out = run(['apt-cache', 'depends', '--recurse',
                         '--no-recommends', '--no-suggests', '--no-conflicts',
                         '--no-breaks', '--no-replaces', '--no-enhances',
                         package], env=self.env, check=False)
        if code:
            raise InfraFailure('apt-cache depends %s in %s failed:\n%s' % (
                package, self.what(), (out or '')[-800:]))
        # Virtual packages are listed as <name>, dependencies indented,
        # apt's notes start with a capital and a colon.
        found = sorted({line for line in out.splitlines()
                        if re.match(r'^[a-z0-9][a-z0-9+.-]*$', line)})
        if package not in found:
            raise InfraFailure('%s has no %s' % (self.what(), package))
        return found

    def download(self, packages, dest):
        """apt-get download into dest; return the .deb paths."""
        self.update()
        os.makedirs(dest, exist_ok=True)
        code, out = run(['apt-get', 'download'] + list(packages), cwd=dest,
                        env=self.env, check=False)
        if code:
            kind = NotServed if REFUSED.search(out or '') else InfraFailure
            raise kind('apt-get download of %s from %s failed: network, or '
                       'a package left the archive?\n%s' % (
                           ' '.join(packages), self.what(),
                           (out or '')[-800:]))
        return sorted(glob.glob(os.path.join(dest, '*.deb')))


_APTS = {}


def apt_for(suite, arch=None):
    """The private apt configuration of a suite and architecture (one per
    run, so that each is updated at most once)."""
    if (suite, arch) not in _APTS:
        _APTS[suite, arch] = Apt(suite, arch)
    return _APTS[suite, arch]


def unpacked(name, apt, packages):
    """The packages unpacked (dpkg-deb -x) into one directory of the cache,
    made once; return the directory."""
    top = os.path.join(UNPACKED, name)
    if os.path.isdir(top):
        return top
    say('    fetching %s from %s into %s' % (' '.join(packages), apt.what(),
                                            top))
    tmp = top + '.partial'
    shutil.rmtree(tmp, ignore_errors=True)
    debs = apt.download(packages, os.path.join(tmp, 'debs'))
    for deb in debs:
        code, out = run(['dpkg-deb', '-x', deb, os.path.join(tmp, 'root')],
                        check=False)
        if code:
            shutil.rmtree(tmp, ignore_errors=True)
            raise InfraFailure('%s does not unpack:\n%s' % (deb, out))
    os.rename(os.path.join(tmp, 'root'), top)
    shutil.rmtree(tmp, ignore_errors=True)
    return top
