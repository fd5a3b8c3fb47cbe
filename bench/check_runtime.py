# SPDX-License-Identifier: GPL-2.0
"""Runtime stage: boot base and patched kernels under QEMU, run the tests.

For each guest (bench/guest.py) both kernels boot the same initramfs and
run the series' kselftest against the guest's DRM driver.  The check
prints one line per test with the base and the patched result, and fails
when a test fails on the patched kernel, when a test that passes on the
base does not pass on the patched kernel, when the patched kernel prints a
kernel report (WARNING splat, BUG, Oops, KASAN, kmemleak, lockdep, DMA-API)
that the base does not print in the same run, when it prints the
CREATE_DUMB flags warning more than once, or when a guest does not boot,
hangs or does not finish.  Reports both kernels print are listed, not
dropped.  Results go to logs/runtime-<guest>.json in the cache.
"""

import json
import os
import re

import guest as g
from common import say, tail

HEX = re.compile(r'\b(0x)?[0-9a-f]{8,16}\b')


def normalise(report):
    kind, line = report
    return kind, HEX.sub('X', line)


PROBE = re.compile(r'^dumbprobe: (\S+) (.*)$', re.M)


def probe_results(text):
    """{probe name: {key: value}} from the dumbprobe lines of a section."""
    found = {}
    for what, rest in PROBE.findall(text):
        found[what] = dict(kv.split('=', 1) for kv in rest.split()
                           if '=' in kv)
    return found


def probe_tests(probes):
    """The probes' verdicts, as test results: the exhaustion probe passes
    when the kernel refused a buffer with ENOMEM or ENOSPC (whether it also
    printed a WARNING is the report check's business), the PRIME probe when
    vkms's CRC of the imported buffer equals that of its own buffer with the
    same pixels (and differs from one with other pixels)."""
    tap = {}
    if 'exhaust' in probes:
        ex = probes['exhaust']
        tap['probe.exhaust_memory'] = 'pass' if ex.get('error') in (
            'ENOMEM', 'ENOSPC') and int(ex.get('buffers', 0)) > 0 else 'fail'
    if 'fbdev' in probes:
        fb = probes['fbdev']
        mapping = fb.get('kernel_mapping', 'none').strip(',')
        # Kernels whose objects print no kernel_mapping field skip.
        tap['probe.fbdev_kernel_mapping'] = 'skip' if mapping == 'none' \
            else 'pass' if mapping == 'permanent' else 'fail'
        tap['probe.fbdev_readback'] = 'pass' if fb.get('readback') == 'same' \
            else 'fail'
    if 'import' in probes:
        # The Exynos guests have no IOMMU: an import is EXYNOS_BO_CONTIG (0),
        # and imported objects have no mmap offset.
        im = probes['import']
        tap['probe.import_into_exynos'] = 'pass' if (
            im.get('step') == 'done' and im.get('flags') == '0' and
            im.get('size') == '4096' and im.get('map') == 'EINVAL') \
            else 'fail'
    if 'modetest' in probes:
        mt = probes['modetest']
        tap['probe.modetest'] = 'pass' if mt.get('rc') == '0' and \
            mt.get('set') == 'yes' else 'fail'
    if 'prime' in probes:
        tap['probe.prime_import_vkms'] = 'pass' if probes['prime'].get(
            'match') == 'yes' else 'fail'
    return tap


def expected_oops(name, variant, code, text, log):
    """Problems of a kernel that must oops (the base of a guest that shows a
    bug the series fixes): it must stop with the guest's pattern."""
    pattern = g.GUESTS[name]['base_oops']
    if '%s done' % g.MARK in text:
        return ['%s kernel finished, but it should have oopsed (%s); '
                'console log %s' % (variant, pattern, log)]
    if not re.search(pattern, text):
        return ['%s kernel stopped (QEMU exit %s) without the expected oops '
                '(%s); console log %s' % (variant, code, pattern, log)] + \
            ['last lines:'] + tail(text, 20).splitlines()
    oops = [r[1] for r in g.reports(text)][:3]
    say('    %s: stopped as expected: %s' % (
        variant, '; '.join(oops) or pattern))
    return []


FBDEV_UP = re.compile(r'\] fb\d+: \S+ frame buffer device')


def run_variant(name, variant, image, archive, devicetree):
    """Boot one kernel; return (results dict, problems)."""
    code, took, text, log = g.boot(name, variant, image, archive,
                                   devicetree)
    if variant == 'base' and g.GUESTS[name].get('base_oops'):
        # What it printed before the oops counts as its boot log.
        return {'seconds': round(took, 1), 'expected_oops': True,
                'tap': {}, 'boot_reports': g.reports(text),
                'test_reports': [], 'flags_warnings': 0, 'dri': '',
                'driver': '', 'console': log}, \
            expected_oops(name, variant, code, text, log)
    if '%s done' % g.MARK not in text:
        why = 'did not finish within %d s' % g.GUESTS[name]['timeout'] \
            if code is None else 'stopped (QEMU exit %s) before the end' % code
        found = ['  %s: %s' % r for r in g.reports(text)][:10]
        return None, ['%s kernel %s; console log %s' % (variant, why, log)] + \
            (['kernel reports on the console:'] + found if found else []) + \
            ['last lines:'] + tail(text, 20).splitlines()
    tap = {}
    for prog in g.kselftests(name):
        tap.update(g.tap_results(g.section(text, 'kselftest-' + prog) or ''))
    igt_missing = []
    for prog in g.GUESTS[name].get('igt', []):
        found = g.igt_results(prog, g.section(text, 'igt-' + prog) or '')
        if not found:
            igt_missing.append(prog)
        tap.update(found)
    probes = probe_results(g.section(text, 'probe') or '')
    tap.update(probe_tests(probes))
    boot_log = g.section(text, 'boot-log') or ''
    test_log = g.section(text, 'test-log') or ''
    dri = re.search(r'%s dri (.*)' % re.escape(g.MARK), text)
    driver = re.search(r'%s driver (\S*)' % re.escape(g.MARK), text)
    drivers = re.search(r'%s drivers (.*)' % re.escape(g.MARK), text)
    result = {
        'seconds': round(took, 1),
        'dri': dri.group(1).strip() if dri else '',
        'driver': driver.group(1) if driver else '',
        'drivers': drivers.group(1).split() if drivers else [],
        'tap': tap,
        'probes': probes,
        'boot_reports': g.reports(boot_log),
        'test_reports': g.reports(test_log),
        'flags_warnings': len(g.FLAGS_WARNING.findall(test_log)),
        'console': log,
    }
    say('    %s: booted and ran in %.0f s; /dev/dri: %s (drivers: %s; tests '
        'on %s); %d tests: %s' % (
        variant, took, result['dri'] or 'none',
        ' '.join(result['drivers']) or 'none', result['driver'] or '-',
        len(tap),
        ', '.join('%d %s' % (list(tap.values()).count(s), s)
                  for s in ('pass', 'fail', 'skip'))))
    for what, values in sorted(probes.items()):
        say('    %s: dumbprobe %s: %s' % (variant, what, ' '.join(
            '%s=%s' % kv for kv in sorted(values.items()))))
    problems = []
    want = g.GUESTS[name]['driver']
    if want is None:
        absent = g.GUESTS[name]['absent']
        if absent in result['drivers']:
            problems.append('%s: %s bound (cards of %s), but it must not on '
                            'this guest; console log %s' % (
                                variant, absent, ' '.join(result['drivers']),
                                log))
        pattern = g.GUESTS[name].get('patched_log')
        if pattern and not re.search(pattern, text):
            problems.append('%s: the console does not show "%s"; console '
                            'log %s' % (variant, pattern, log))
        return result, problems
    if g.GUESTS[name].get('fbdev_off') and FBDEV_UP.search(text):
        # The kernel has fbdev emulation; the command line must keep it off.
        problems.append('%s: fbdev emulation started although the command '
                        'line turns it off; console log %s' % (variant, log))
    if result['driver'] != want:
        # Without the guest's driver every kselftest case would skip.
        problems.append('%s: card0 is driven by "%s", not %s; console log '
                        '%s' % (variant, result['driver'], want, log))
    if not tap:
        problems.append('%s: the kselftest printed no results; console log '
                        '%s' % (variant, log))
    for prog in igt_missing:
        problems.append('%s: IGT %s printed no subtest results; console log '
                        '%s' % (variant, prog, log))
    return result, problems


def compare(name, results):
    """Per-test table and the problems of the patched kernel."""
    base, patched = results['base'], results['patched']
    problems = []
    for phase in ('boot_reports', 'test_reports'):
        for report in patched[phase]:
            for pattern, what in g.GUESTS[name].get('fixed', []):
                if re.search(pattern, report[1]):
                    problems.append('patched kernel prints a report the '
                                    'series fixes (%s): %s: %s' % (
                                        what, report[0], report[1]))
    names = sorted(set(base['tap']) | set(patched['tap']))
    say('    %-52s %-6s %s' % ('test', 'base', 'patched'))
    for name in names:
        b = base['tap'].get(name, '-')
        p = patched['tap'].get(name, '-')
        say('    %-52s %-6s %s' % (name, b, p))
        if p == 'fail':
            problems.append('%s fails on the patched kernel' % name)
        elif b == 'pass' and p != 'pass':
            problems.append('%s passes on the base but is %s on the patched '
                            'kernel' % (name, p))
    for phase in ('boot_reports', 'test_reports'):
        seen = {normalise(r) for r in base[phase]}
        for report in patched[phase]:
            if normalise(report) in seen:
                say('    %s, on both kernels: %s: %s' % (
                    phase.replace('_', ' '), report[0], report[1]))
            else:
                problems.append('patched kernel only (%s): %s: %s' % (
                    phase.replace('_', ' '), report[0], report[1]))
        mine = {normalise(r) for r in patched[phase]}
        for report in base[phase]:
            if normalise(report) not in mine:
                say('    %s, base kernel only: %s: %s' % (
                    phase.replace('_', ' '), report[0], report[1]))
    if patched['flags_warnings'] > 1:
        problems.append('the CREATE_DUMB flags warning was printed %d times '
                        '(at most once)' % patched['flags_warnings'])
    say('    flags warning lines: base %d, patched %d' % (
        base['flags_warnings'], patched['flags_warnings']))
    return problems


def runtime(name):
    def check(ctx):
        with_series = ctx.tree
        images = {v: g.kernel(name, v, with_series)
                  for v in ('base', 'patched')}
        blob = g.dtb(name, with_series)
        dtbs = {'base': blob, 'patched': blob}
        archive = g.initramfs(name, g.selftests(name, with_series))
        results, problems = {}, []
        for variant in ('base', 'patched'):
            result, trouble = run_variant(name, variant, images[variant],
                                          archive, dtbs[variant])
            problems += trouble
            if result is None:
                return problems
            results[variant] = result
        problems += compare(name, results)
        out = os.path.join(g.LOGS, 'runtime-%s.json' % name)
        with open(out, 'w') as f:
            json.dump(results, f, indent=1, sort_keys=True)
        say('    results: %s' % out)
        return problems
    return check
