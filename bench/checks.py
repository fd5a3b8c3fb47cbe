# SPDX-License-Identifier: GPL-2.0
"""The checks, in order, and the runner.

A check is a function taking the Context and returning a list of problem
lines (empty: passed); it raises Failure for a hard error and
InfraFailure when the machine, network or cache failed.  Each check's
output also goes to logs/check-<name>.log in the cache.  To add one, write
it in a check_*.py module and list it below with its tier ('ci': both
tiers, 'full': make test-full only) and the checks it needs.
"""

import os
import shutil
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Callable, Tuple

import check_apply
import check_build
import check_cocci
import check_distro
import check_headers
import check_kunit
import check_runtime
import check_runtime_points
import check_selftest
import check_sets
import check_source
import check_style
import check_workbench
import guests
import results
from common import (CACHE, LOGS, Failure, InfraFailure, patch_label, say,
                    series_patches)


@dataclass(frozen=True)
class Check:
    name: str
    tier: str
    needs: Tuple[str, ...]
    func: Callable
    what: str


BUILDS = ('build-x86_64', 'build-arm', 'build-arm64')
CHECKS = [
    Check('workbench', 'ci', (), check_workbench.unit_tests,
          'the workbench\'s own tests: parsers and verdicts on recorded '
          'output'),
    Check('apply', 'ci', (), check_apply.apply,
          'git am every patch onto the base (no fuzz, no 3-way)'),
    Check('debian-overlap', 'ci', ('apply',), check_apply.debian_overlap,
          'no file the series touches was changed by a Debian patch'),
    Check('checkpatch', 'ci', ('apply',), check_style.checkpatch,
          'checkpatch.pl --strict on every patch'),
    Check('kernel-doc', 'ci', ('apply',), check_style.kernel_doc,
          'kernel-doc -none -Wall on touched files, base against series'),
    Check('gem-dma-opt-in', 'ci', ('apply',), check_source.gem_dma_opt_in,
          'only the drivers in configs/gem-dma-opt-in.txt opt in'),
] + [
    Check(name, 'ci', ('apply',), check_build.bisect(name.split('-')[1]),
          'every patch builds with W=1 and sparse, no new finding, %s '
          '(full tier: the whole kernel at every patch)'
          % name.split('-')[1]) for name in BUILDS
] + [
    Check('sets', 'ci', ('apply',), check_sets.check_sets,
          'each set\'s cover letter and b4 lines; each set applies with '
          'only the sets it needs under it'),
    Check('sets-alone', 'ci', BUILDS, check_sets.alone,
          'each set that needs no other (the fixes) builds on the base '
          'alone, every arch, no new finding'),
    Check('headers', 'ci', BUILDS, check_headers.headers,
          'every includer of a changed header compiles'),
    Check('coccicheck', 'ci', ('build-x86_64',), check_cocci.coccicheck,
          'coccicheck on touched C files, base against series'),
    Check('kselftest-build', 'ci', ('apply',), check_selftest.build,
          'the kselftests and dumbprobe build statically, no warning'),
    Check('kunit-arm', 'ci', ('apply',), check_kunit.kunit_guest(
        'arm-vexpress'), 'KUnit DRM suites built into the ARM guests\' '
          'patched kernel, under QEMU vexpress-a9'),
    Check('kunit-rockchip', 'ci', ('apply',), check_kunit.kunit_rockchip,
          'KUnit Rockchip suite on arm64 under QEMU with an SMMUv3'),
    Check('kunit-um', 'full', ('apply',), check_kunit.kunit('um'),
          'KUnit DRM suites on UML through kunit.py'),
    Check('kunit-x86_64', 'full', ('apply',), check_kunit.kunit_guest(
        'x86_64-vkms'), 'KUnit DRM suites built into the x86_64 guest\'s '
          'patched kernel, under QEMU'),
    Check('kunit-arm64', 'full', ('apply',), check_kunit.kunit('arm64'),
          'KUnit DRM suites on arm64 under QEMU with an SMMUv3'),
    Check('distro-configs', 'full', ('apply',), check_distro.distro,
          'Debian\'s arm64 and armmp configurations, base and the last '
          'patch of every set: what the series touches, W=1, exports'),
]
for _guest in guests.GUESTS.values():
    if _guest.check:
        CHECKS.append(Check(_guest.check, _guest.tier, ('kselftest-build',),
                            check_runtime.runtime(_guest.name),
                            'QEMU %s: base and patched kernels'
                            % _guest.name))
CHECKS.append(Check('runtime-each-patch', 'full', check_runtime_points.needs(),
                    check_runtime_points.runtime_points,
                    'the runtime guests at every patch from the one that '
                    'adds the kselftests on'))

# Commands the CI tier runs, and the package that brings each.
TOOLS = {
    'make': 'make', 'gcc': 'gcc', 'perl': 'perl', 'git': 'git',
    'ccache': 'ccache', 'flex': 'flex', 'bison': 'bison', 'bc': 'bc',
    'spatch': 'coccinelle', 'ocamlfind': 'ocaml-nox',
    'arm-linux-gnueabihf-gcc': 'gcc-arm-linux-gnueabihf',
    'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu',
    'dpkg-deb': 'dpkg', 'apt-get': 'apt', 'cpio': 'cpio',
    'qemu-system-x86_64': 'qemu-system-x86',
    'qemu-system-arm': 'qemu-system-arm',
    'qemu-system-aarch64': 'qemu-system-arm', 'readelf': 'binutils',
    'busybox': 'busybox-static', 'rsync': 'rsync', 'depmod': 'kmod',
}


def missing_packages():
    return sorted({pkg for cmd, pkg in TOOLS.items() if not shutil.which(cmd)})


class Context:
    """What the checks share."""

    def __init__(self, full):
        self.full = full
        self.patches = series_patches()
        self.commits = []       # [(sha, patch file name)] after 'apply'


class Tee:
    """Write to the terminal and to a check's log."""

    def __init__(self, stream, path):
        self.stream = stream
        self.file = open(path, 'w', encoding='utf-8')  # pylint: disable=consider-using-with

    def write(self, text):
        self.stream.write(text)
        self.file.write(text)

    def flush(self):
        self.stream.flush()
        self.file.flush()

    def close(self):
        self.file.close()

    def isatty(self):
        return False

    def __getattr__(self, name):
        return getattr(self.stream, name)


def select(full, only):
    """The checks to run: the tier's, or those named and what they need."""
    tier = ('ci', 'full') if full else ('ci',)
    if not only:
        return [c for c in CHECKS if c.tier in tier]
    by_name = {c.name: c for c in CHECKS}
    unknown = [n for n in only if n not in by_name]
    if unknown:
        raise Failure('unknown check(s): %s (see "make list")' %
                      ', '.join(unknown))
    wanted = set()
    todo = list(only)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo += list(by_name[name].needs)
    return [c for c in CHECKS if c.name in wanted]


def run_one(check, ctx, done):
    """Run one check; return its Result."""
    result = results.Result(check.name, check.tier, check.what,
                            log=os.path.join(LOGS, 'check-%s.log' % check.name))
    blocked = [n for n in check.needs if n in done and done[n] != 'pass']
    if blocked:
        result.result = 'fail'
        result.problems = ['not run: %s did not pass' % ', '.join(blocked)]
        return result
    os.makedirs(LOGS, exist_ok=True)
    tee = Tee(sys.stdout, result.log)
    sys.stdout = tee
    start = time.monotonic()
    try:
        result.problems = check.func(ctx)
        result.result = 'fail' if result.problems else 'pass'
    except InfraFailure as err:
        result.result = 'error'
        result.problems = str(err).splitlines()
    except Failure as err:
        result.result = 'fail'
        result.problems = str(err).splitlines()
    except Exception:  # pylint: disable=broad-except
        result.result = 'fail'
        result.problems = traceback.format_exc().splitlines()
    finally:
        result.seconds = time.monotonic() - start
        for line in result.problems:
            tee.file.write('    %s\n' % line)
        sys.stdout = tee.stream
        tee.close()
    return result


def main(full=False, only=None, list_only=False):
    if list_only:
        for c in CHECKS:
            say('%-25s %-4s %s' % (c.name, c.tier, c.what))
        return 0
    chosen = select(full, only.split(',') if only else None)
    missing = missing_packages()
    if missing:
        raise InfraFailure('missing packages: %s; run "sh bench/setup" as '
                           'root' % ' '.join(missing))
    ctx = Context(full)
    started = time.time()
    say('%d checks (%s), %d patches, cache %s' % (
        len(chosen), 'full tier' if full else 'CI tier', len(ctx.patches),
        CACHE))
    done, ran = {}, []
    for i, check in enumerate(chosen, 1):
        say('')
        say('[%d/%d] %s: %s' % (i, len(chosen), check.name, check.what))
        result = run_one(check, ctx, done)
        done[check.name] = result.result
        ran.append(result)
        say('[%d/%d] %s: %s (%.0f s)' % (i, len(chosen), check.name,
                                        result.result.upper(),
                                        result.seconds))
        for line in result.problems[:60]:
            say('    ' + line)
        if len(result.problems) > 60:
            say('    ... %d more lines in %s' % (len(result.problems) - 60,
                                                result.log))
    paths = results.save(ran, {'tier': 'full' if full else 'ci',
                               'patches': [patch_label(p)
                                           for p in ctx.patches]}, started)
    say('')
    say('results: %s, %s' % (paths[0], paths[1]))
    say('total time %.0f s' % (time.time() - started))
    for line in results.table(ran):
        say(line)
    return results.exit_status(ran)
