# SPDX-License-Identifier: GPL-2.0
"""The series' kselftests build natively and cross for arm and arm64.

    make -C tools/testing/selftests TARGETS=drm

with the UAPI headers of the patched tree, installed from each arch's
build tree.  The binaries stay in the cache for the runtime stage.
"""

import os

from check_build import ARCHES, build_dir, env, make_cmd
from common import CACHE, run, say

TARGETS = 'drm'
PROGRAMS = ('dumb_buffers', 'exynos_gem')


def build(ctx):
    if not os.path.isdir(os.path.join(ctx.tree, 'tools/testing/selftests',
                                      TARGETS)):
        return ['tools/testing/selftests/%s does not exist' % TARGETS]
    problems = []
    for arch, (karch, cross) in ARCHES.items():
        out = os.path.join(CACHE, 'build', 'kselftest-' + arch)
        hdrs = build_dir(arch, ctx.full)
        run(make_cmd(arch, ctx.tree, 'headers', out=hdrs), env=env())
        code, log = run(['make', '-C', os.path.join(ctx.tree,
                                                    'tools/testing/selftests'),
                         'TARGETS=' + TARGETS, 'ARCH=' + karch,
                         'CROSS_COMPILE=' + cross, 'O=' + out,
                         'KHDR_INCLUDES=-isystem %s/usr/include' % hdrs],
                        check=False)
        warnings = [ln for ln in log.splitlines() if 'warning:' in ln]
        if code:
            problems += ['%s: kselftest build failed:' % arch] + \
                log.splitlines()[-15:]
            continue
        where = os.path.join(out, 'kselftest', TARGETS)
        for prog in PROGRAMS:
            if not os.path.exists(os.path.join(where, prog)):
                problems.append('%s: %s/%s was not built' % (arch, where,
                                                            prog))
        problems += ['%s: %s' % (arch, w) for w in warnings]
        say('    %s: built %s in %s, %d warnings' % (
            arch, ', '.join(PROGRAMS), where, len(warnings)))
    return problems
