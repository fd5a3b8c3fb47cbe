# SPDX-License-Identifier: GPL-2.0
"""Tools the checks need beyond packages.txt.

sparse: Linux 7.3 uses __typeof_unqual__, which Debian 12's sparse 0.6.4
does not know; the kernel's scripts/checker-valid.sh then turns C=1 off
with a one-line warning, so the checks would run no sparse at all.  We
unpack sid's sparse (0.6.5~rc1) with sid's C library into the cache and
run it through that library's dynamic loader; nothing is installed on
the machine.
"""

import glob
import os
import shutil

import base
from common import CACHE, Failure, Timer, run

SID_APT = os.path.join(CACHE, 'apt-sid')
SPARSE_DIR = os.path.join(CACHE, 'tools', 'sparse-sid')
WRAPPER = '''#!/bin/sh
# sid's sparse, run with sid's C library (see bench/tools.py).
r='%s'
exec "$r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \\
	--library-path "$r/usr/lib/x86_64-linux-gnu" "$r/usr/bin/sparse" "$@"
'''


def sparse():
    """Return the path of a sparse that the kernel accepts."""
    wrapper = os.path.join(SPARSE_DIR, 'sparse')
    if os.path.exists(wrapper):
        return wrapper
    with Timer('fetch sid\'s sparse and C library into the cache'):
        env = base.apt_env('sid', SID_APT)
        code, out = run(['apt-get', 'update'], env=env, check=False)
        if code:
            raise Failure('apt-get update for sid failed:\n' + out[-1500:])
        tmp = SPARSE_DIR + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(os.path.join(tmp, 'debs'))
        run(['apt-get', 'download', 'sparse', 'libc6'], env=env,
            cwd=os.path.join(tmp, 'debs'))
        for deb in glob.glob(os.path.join(tmp, 'debs', '*.deb')):
            run(['dpkg-deb', '-x', deb, tmp])
        with open(os.path.join(tmp, 'sparse'), 'w', encoding='utf-8') as f:
            f.write(WRAPPER % SPARSE_DIR)
        os.chmod(os.path.join(tmp, 'sparse'), 0o755)
        shutil.rmtree(SPARSE_DIR, ignore_errors=True)
        os.replace(tmp, SPARSE_DIR)
    code, out = run([wrapper, '--version'], check=False)
    if code:
        shutil.rmtree(SPARSE_DIR, ignore_errors=True)
        raise Failure('the unpacked sparse does not run:\n' + out)
    return wrapper
