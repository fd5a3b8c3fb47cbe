# SPDX-License-Identifier: GPL-2.0
"""A sparse that Linux 7.3 accepts.

Linux 7.3 uses __typeof_unqual__, which Debian 12's sparse 0.6.4 does not
know; the kernel's scripts/checker-valid.sh then turns C=1 off with one
line of warning, so no sparse would run at all.  sid's sparse (0.6.5~rc1)
and sid's C library are unpacked into the cache and run through that
library's dynamic loader; nothing is installed on the machine.  The build
checks still verify, from kbuild's output, that sparse ran on every file
they asked for.
"""

import os

import debian
from common import InfraFailure, run

WRAPPER = '''#!/bin/sh
# sid's sparse, run with sid's C library (see bench/sparse.py).
r='%s'
exec "$r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \\
	--library-path "$r/usr/lib/x86_64-linux-gnu" "$r/usr/bin/sparse" "$@"
'''


def path():
    """The path of the sparse wrapper."""
    top = debian.unpacked('sparse-sid-amd64', debian.apt_for('sid', 'amd64'),
                          ['sparse', 'libc6'])
    wrapper = os.path.join(top, 'sparse-wrapper')
    if not os.path.exists(wrapper):
        with open(wrapper + '.tmp', 'w', encoding='utf-8') as f:
            f.write(WRAPPER % top)
        os.chmod(wrapper + '.tmp', 0o755)
        os.replace(wrapper + '.tmp', wrapper)
    code, out = run([wrapper, '--version'], check=False)
    if code or not out.strip():
        raise InfraFailure('the unpacked sparse in %s does not run; remove '
                           'that directory and run again:\n%s' % (top, out))
    return wrapper


def version():
    return run([path(), '--version'])[1].strip()
