# SPDX-License-Identifier: GPL-2.0
"""How the workbench runs kbuild: the make command, its environment
(ccache), and configurations made from a base target plus fragments.

Every kernel build of the workbench (the build checks, the guests' kernels,
kunit.py's) goes through here, so all of them share one ccache with the
same settings.
"""

import collections
import hashlib
import os
import re

from common import CACHE, CONFIGS, Failure, run

Arch = collections.namedtuple('Arch', 'karch cross debian qemu')
ARCHES = {
    'x86_64': Arch('x86_64', '', 'amd64', 'qemu-system-x86_64'),
    'arm': Arch('arm', 'arm-linux-gnueabihf-', 'armhf', 'qemu-system-arm'),
    'arm64': Arch('arm64', 'aarch64-linux-gnu-', 'arm64',
                  'qemu-system-aarch64'),
}
BUILD = os.path.join(CACHE, 'build')


def env():
    """The environment of every kbuild run: one ccache for all build trees
    (paths relative to the cache, so that trees share objects), and a fixed
    build timestamp."""
    return {'CCACHE_DIR': os.path.join(CACHE, 'ccache'),
            'CCACHE_MAXSIZE': '20G', 'CCACHE_BASEDIR': CACHE,
            'CCACHE_NOHASHDIR': '1', 'KBUILD_BUILD_TIMESTAMP': '@0'}


def make_options(arch):
    """make's variables for an arch, compilers through ccache."""
    a = ARCHES[arch]
    return ['ARCH=' + a.karch, 'CROSS_COMPILE=' + a.cross,
            'CC=ccache %sgcc' % a.cross, 'HOSTCC=ccache gcc']


def make_cmd(arch, tree, out, *targets):
    return ['make', '-C', tree, '-j%d' % os.cpu_count(), 'O=' + out] + \
        make_options(arch) + list(targets)


def make(arch, tree, out, *targets, log=None, what=None, check=True,
         extra_env=None):
    """Run make; with a log, print its path and show progress."""
    return run(make_cmd(arch, tree, out, *targets),
               env=dict(env(), **(extra_env or {})), log=log, what=what,
               check=check)


def compiler(arch):
    """The cross compiler's version line."""
    _, out = run([ARCHES[arch].cross + 'gcc', '--version'])
    return out.splitlines()[0]


def fragment_lines(names):
    """The lines of configuration fragments in configs/, joined."""
    text = ''
    for name in names:
        with open(os.path.join(CONFIGS, name), encoding='utf-8') as f:
            text += f.read()
    return text


def lost_options(fragment_text, config_file):
    """The CONFIG_ lines of a fragment that the resulting .config lacks."""
    with open(config_file, encoding='utf-8') as f:
        config = set(f.read().splitlines())
    return [line for line in fragment_text.splitlines()
            if line.startswith('CONFIG_') and line not in config]


SET = re.compile(r'^(?:# )?(CONFIG_\w+)[= ]')


def configure(arch, tree, out, start, names, options=()):
    """Make out/.config from a base target (allnoconfig, tinyconfig) and
    the fragments; fail if Kconfig dropped an option a fragment asks for.
    options are more make variables (the same as for the builds).  Returns
    the fragments' digest."""
    text = fragment_lines(names)
    os.makedirs(out, exist_ok=True)
    frag = os.path.join(out, 'fragment.config')
    with open(frag, 'w', encoding='utf-8') as f:
        f.write(text)
    make(arch, tree, out, *options, start, 'KCONFIG_ALLCONFIG=' + frag)
    lost = lost_options(text, os.path.join(out, '.config'))
    if lost:
        raise Failure('%s ask for options Kconfig did not keep (a missing '
                      'dependency?): %s' % (' + '.join(names),
                                             ', '.join(lost)))
    return hashlib.sha256(text.encode()).hexdigest()


def resync(arch, tree, out, options=()):
    """After a checkout: apply the fragment again and let Kconfig settle
    (olddefconfig), so that an option a patch adds is set as the fragment
    asks once the checked-out commit has it, and new options take their
    defaults instead of a prompt that reads end of file."""
    frag = os.path.join(out, 'fragment.config')
    config_file = os.path.join(out, '.config')
    wanted = {}
    with open(frag, encoding='utf-8') as f:
        for line in f.read().splitlines():
            m = SET.match(line)
            if m:
                wanted[m.group(1)] = line
    with open(config_file, encoding='utf-8') as f:
        lines = f.read().splitlines()
    kept = []
    for line in lines:
        m = SET.match(line)
        kept.append(wanted.pop(m.group(1)) if m and m.group(1) in wanted
                    else line)
    with open(config_file, 'w', encoding='utf-8') as f:
        f.write('\n'.join(kept + list(wanted.values())) + '\n')
    make(arch, tree, out, *options, 'olddefconfig')
