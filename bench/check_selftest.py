# SPDX-License-Identifier: GPL-2.0
"""The series' kselftests and dumbprobe build for x86_64, arm and arm64,
statically and without a warning (bench/selftests.py); the runtime guests
then run these very binaries."""

import kbuild
import selftests
from common import say


def build(_ctx):
    problems = []
    for arch in kbuild.ARCHES:
        progs, warnings = selftests.build(arch)
        say('    %s: %s built statically, %d warnings' % (
            arch, ', '.join(sorted(progs)), len(warnings)))
        problems += ['%s: %s' % (arch, w) for w in warnings]
    return problems
