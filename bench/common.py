# SPDX-License-Identifier: GPL-2.0
"""Paths, settings and small helpers shared by the workbench modules."""

import os
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERIES = os.path.join(TOP, 'series')
CONFIGS = os.path.join(TOP, 'configs')
WORKTREE = os.path.join(TOP, 'build', 'linux')
COVER = '0000-cover-letter.patch'

# Everything that survives a fresh clone lives here: the .deb, the base
# repository, build trees, ccache, guest root file systems.
CACHE = os.path.abspath(os.path.expanduser(
    os.environ.get('DUMB_KMAP_CACHE', '~/.cache/dumb-kmap')))


class Failure(Exception):
    """A step failed; the message says what and what to do next."""


def say(msg):
    print(msg, flush=True)


def warn(msg):
    print('warning: ' + msg, file=sys.stderr, flush=True)


def read_conf(path=None):
    """Read base.conf (key = value lines, # comments)."""
    path = path or os.path.join(TOP, 'base.conf')
    conf = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            key, _, value = line.partition('=')
            conf[key.strip()] = value.strip()
    return conf


def run(cmd, cwd=None, env=None, check=True, capture=True, log=None):
    """Run a command; on failure raise Failure with its last lines."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    if log:
        with open(log, 'w', encoding='utf-8', errors='replace') as out:
            proc = subprocess.run(cmd, cwd=cwd, env=full_env, stdout=out,
                                  stderr=subprocess.STDOUT, check=False)
        output = None
    else:
        proc = subprocess.run(cmd, cwd=cwd, env=full_env, check=False,
                              stdout=subprocess.PIPE if capture else None,
                              stderr=subprocess.STDOUT if capture else None,
                              text=True, errors='replace')
        output = proc.stdout
    if check and proc.returncode != 0:
        if log:
            output = tail_file(log)
        raise Failure('command failed (exit %d): %s\n%s' % (
            proc.returncode, ' '.join(cmd), tail(output or '', 30)))
    return proc.returncode, output


def git(tree, *args, check=True):
    _, out = run(['git', '-C', tree] + list(args), check=check)
    return out.strip() if out else ''


def tail(text, lines):
    return '\n'.join(text.rstrip('\n').split('\n')[-lines:])


def tail_file(path, lines=40):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            return tail(f.read(), lines)
    except OSError:
        return ''


def series_patches():
    """The patches of the series in apply order, cover letter excluded."""
    if not os.path.isdir(SERIES):
        return []
    names = sorted(n for n in os.listdir(SERIES)
                   if n.endswith('.patch') and n != COVER and n[0].isdigit())
    return [os.path.join(SERIES, n) for n in names]


class Timer:
    """Context manager that reports how long a step took."""

    def __init__(self, what):
        self.what = what
        self.start = 0.0
        self.seconds = 0.0

    def __enter__(self):
        self.start = time.monotonic()
        say('>> ' + self.what)
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.start
        say('   (%s: %.0f s)' % (self.what, self.seconds))
        return False
