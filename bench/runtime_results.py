# SPDX-License-Identifier: GPL-2.0
"""What a guest's console says, as test results, and the verdict of the
patched kernel against the base.

Pure functions of the console text and the guest's description, so that
the workbench's own tests can feed them recorded consoles.

The patched kernel must produce everything the guest is configured to
run: every kselftest's plan met and its exit status 0, no "Bail out!", a
case passed in every program, every IGT subtest the program lists, every
probe's result line.  Anything
missing fails the patched kernel whatever the base did.  Then no test may
fail on the patched kernel, no test that passes on the base may do less,
and the patched kernel may print no kernel report the base does not, none
the series fixes, and the CREATE_DUMB flags warning at most once.
"""

import re
from dataclasses import dataclass, field
from typing import Dict, List

import parse

FLAGS_WARNING = re.compile(r'non-zero flags 0x[0-9a-f]+ in CREATE_DUMB '
                           r'ignored')
FBDEV_UP = re.compile(r'\] fb\d+: \S+ frame buffer device')


@dataclass
class KernelRun:
    variant: str
    finished: bool = False
    tests: Dict[str, str] = field(default_factory=dict)
    incomplete: List[str] = field(default_factory=list)
    driver: str = ''
    drivers: List[str] = field(default_factory=list)
    boot_reports: List[list] = field(default_factory=list)
    test_reports: List[list] = field(default_factory=list)
    flags_warnings: int = 0
    probes: Dict[str, dict] = field(default_factory=dict)


def _exits(text, key):
    """{program: exit status} from '<MARK> <key> <program...> exit <N>'."""
    found = {}
    for rest in parse.mark_values(text, key):
        what, _, code = rest.rpartition(' exit ')
        if code.isdigit():
            found[what] = int(code)
    return found


def probe_verdicts(probes):
    """The probes' result lines as tests.  The exhaustion probe passes when
    the kernel refused a buffer with ENOMEM or ENOSPC (a WARNING on the way
    is the report check's business), the PRIME probe when vkms's CRC of the
    imported buffer equals that of its own buffer of the same pixels."""
    tests = {}
    if 'exhaust' in probes:
        ex = probes['exhaust']
        tests['probe.exhaust_memory'] = 'pass' if ex.get('error') in (
            'ENOMEM', 'ENOSPC') and ex.get('buffers', '0') != '0' \
            else 'fail'
    if 'fbdev' in probes:
        fb = probes['fbdev']
        mapping = fb.get('kernel_mapping', 'none').strip(',')
        # Kernels that print no kernel_mapping field (the base) skip.
        tests['probe.fbdev_kernel_mapping'] = 'skip' if mapping == 'none' \
            else 'pass' if mapping == 'permanent' else 'fail'
        tests['probe.fbdev_readback'] = 'pass' \
            if fb.get('readback') == 'same' else 'fail'
    if 'import' in probes:
        # No IOMMU on the Exynos guests: an import is EXYNOS_BO_CONTIG (0),
        # and imported objects have no mmap offset.
        im = probes['import']
        tests['probe.import_into_exynos'] = 'pass' if (
            im.get('step') == 'done' and im.get('flags') == '0' and
            im.get('size') == '4096' and im.get('map') == 'EINVAL') \
            else 'fail'
    if 'modetest' in probes:
        mt = probes['modetest']
        tests['probe.modetest'] = 'pass' if mt.get('rc') == '0' and \
            mt.get('set') == 'yes' else 'fail'
    if 'prime' in probes:
        tests['probe.prime_import_vkms'] = 'pass' \
            if probes['prime'].get('match') == 'yes' else 'fail'
    return tests


def expected_probe_tests(guest):
    """The probe tests the guest is configured to produce."""
    names = {'exhaust': ['probe.exhaust_memory'],
             'prime': ['probe.prime_import_vkms'],
             'import': ['probe.import_into_exynos']}
    want = [n for p in guest.probes for n in names[p.split()[0]]]
    if guest.fbdev:
        want += ['probe.fbdev_kernel_mapping', 'probe.fbdev_readback']
    if guest.modetest:
        want.append('probe.modetest')
    return want


def read_console(guest, variant, text, kunit_tool):
    """A KernelRun from a console log; kunit_tool is the directory of
    kunit.py's parser in the tree under test."""
    run = KernelRun(variant)
    run.finished = '\n%s done' % parse.MARK in '\n' + text.replace('\r', '')
    secs = parse.sections(text)
    driver = parse.mark_values(text, 'driver')
    run.driver = driver[0].split()[0] if driver else ''
    drivers = parse.mark_values(text, 'drivers')
    run.drivers = drivers[0].split() if drivers else []
    if not run.finished:
        run.incomplete.append('the console has no end marker')
        run.boot_reports = parse.kernel_reports(text)
        return run
    exits = _exits(text, 'kselftest')
    for prog in guest.kselftests:
        if 'kselftest-' + prog not in secs:
            run.incomplete.append('kselftest %s printed no section' % prog)
            continue
        result = parse.ktap(secs['kselftest-' + prog], kunit_tool)
        for case, status in result.cases.items():
            run.tests['%s.%s' % (prog, case)] = status
        run.incomplete += ['kselftest %s: %s' % (prog, p)
                           for p in result.problems]
        if result.cases and 'pass' not in result.cases.values():
            run.incomplete.append('kselftest %s: no case passed' % prog)
        if prog not in exits:
            run.incomplete.append('kselftest %s: no exit status' % prog)
        elif exits[prog] != 0:
            run.incomplete.append('kselftest %s exited %d' % (
                prog, exits[prog]))
    igt_exits = _exits(text, 'igt')
    for prog in guest.igt:
        listed = [ln.strip() for ln in secs.get('igt-list-' + prog,
                                                 '').splitlines()
                  if re.match(r'^[\w-]+$', ln.strip())]
        got = parse.igt_subtests(secs.get('igt-' + prog, ''))
        if not listed:
            run.incomplete.append('IGT %s listed no subtests' % prog)
        if prog not in igt_exits:
            run.incomplete.append('IGT %s: no exit status' % prog)
        for sub in sorted(set(listed) | set(got)):
            run.tests['igt.%s.%s' % (prog, sub)] = got.get(sub, 'missing')
        if listed and 'pass' not in got.values():
            run.incomplete.append('IGT %s: no subtest passed' % prog)
    run.probes = parse.probe_lines(secs.get('probe', ''))
    run.tests.update(probe_verdicts(run.probes))
    for name in expected_probe_tests(guest):
        run.tests.setdefault(name, 'missing')
    missing = sorted(n for n, s in run.tests.items() if s == 'missing')
    if missing:
        run.incomplete.append('no result from %s' % ', '.join(missing))
    if guest.driver and run.driver != guest.driver:
        # Without the guest's driver every test would skip.
        run.incomplete.append('the tests ran on "%s", not %s (drivers: %s)'
                              % (run.driver, guest.driver,
                                 ' '.join(run.drivers) or 'none'))
    if guest.absent and guest.absent in run.drivers:
        run.incomplete.append('%s bound, but it must not on this guest'
                              % guest.absent)
    if guest.patched_log and variant == 'patched' and \
            not re.search(guest.patched_log, text):
        run.incomplete.append('the console does not show "%s"'
                              % guest.patched_log)
    if guest.fbdev_off and FBDEV_UP.search(text):
        run.incomplete.append('fbdev emulation started although the '
                              'command line turns it off')
    for name in ('boot-log', 'test-log'):
        if name not in secs:
            run.incomplete.append('no %s section' % name)
    run.boot_reports = [list(r) for r in parse.kernel_reports(
        secs.get('boot-log', ''))]
    run.test_reports = [list(r) for r in parse.kernel_reports(
        secs.get('test-log', ''))]
    run.flags_warnings = len(FLAGS_WARNING.findall(secs.get('test-log', '')))
    return run


def expected_oops(guest, text):
    """Problems of a base kernel that must stop with the guest's oops."""
    if '\n%s done' % parse.MARK in '\n' + text:
        return ['the base kernel finished, but it should have oopsed (%s)'
                % guest.base_oops]
    if not re.search(guest.base_oops, text):
        return ['the base kernel stopped without the expected oops (%s)'
                % guest.base_oops]
    return []


def compare(guest, base, patched):
    """(rows, problems, notes): one row per test (name, base, patched),
    what fails the patched kernel, and what is only worth saying."""
    problems = ['patched kernel: ' + p for p in patched.incomplete]
    notes = ['base kernel: ' + p for p in base.incomplete] if base else []
    rows = []
    names = sorted(set(patched.tests) | set(base.tests if base else ()))
    for name in names:
        b = base.tests.get(name, '-') if base else '-'
        p = patched.tests.get(name, '-')
        rows.append((name, b, p))
        if p in ('fail', 'crash'):
            problems.append('%s: %s on the patched kernel' % (name, p))
        elif b == 'pass' and p != 'pass':
            problems.append('%s passes on the base but is %s on the patched '
                            'kernel' % (name, p))
    for phase in ('boot_reports', 'test_reports'):
        what = phase.replace('_', ' ')
        mine = getattr(patched, phase)
        theirs = getattr(base, phase) if base else []
        seen = {parse.report_key(r) for r in theirs}
        for report in mine:
            for pattern, why in guest.fixed:
                if re.search(pattern, report[1]):
                    problems.append('patched kernel prints a report the '
                                    'series fixes (%s): %s' % (why,
                                                               report[1]))
            if parse.report_key(report) in seen:
                notes.append('%s, on both kernels: %s: %s' % (
                    what, report[0], report[1]))
            else:
                problems.append('patched kernel only (%s): %s: %s' % (
                    what, report[0], report[1]))
        kept = {parse.report_key(r) for r in mine}
        notes += ['%s, base kernel only: %s: %s' % (what, r[0], r[1])
                  for r in theirs if parse.report_key(r) not in kept]
    if patched.flags_warnings > 1:
        problems.append('the CREATE_DUMB flags warning was printed %d times '
                        '(at most once)' % patched.flags_warnings)
    return rows, problems, notes
