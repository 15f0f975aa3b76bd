"""Run the test suite on every Python interpreter present, with tox.

Usage::

    python3 .ci/alltests.py [-e ENV[,ENV...]] [-p N] [--timeout S]
                            [-- PYTEST-ARGS...]

With no arguments it runs every environment of tox.ini's envlist whose
interpreter is present: the test suite (py27, py36 ... py313) plus ``docs``
(Sphinx), ``typecheck`` (mypy) and ``lint`` (flake8).  Steps:

1. Find each interpreter: the first ``pythonX.Y`` on ``PATH`` that actually
   runs (a pyenv shim only runs when that version is selected), else the
   newest ``$(pyenv root)/versions/X.Y.*/bin/python``.
2. Create, or reuse, a bootstrap venv in ``.tox/.bootstrap`` holding
   ``tox<4`` and ``virtualenv<20.22`` (the last versions that still create
   Python 2.7 and 3.6 environments), made by Python 3.11 when present.
   Reusing it costs one quick import check.
3. Run ``tox --discover <those interpreters> -p N`` for the environments found.
   A failing environment's whole log is printed by tox between
   ``log start`` and ``log end`` lines.
4. If an environment's test command died from a signal (an interpreter
   crash: tox reports a negative exit code), run that environment once more
   and say so; failed tests are never run again.
5. Read the junit XML that each test environment wrote and print one line
   per interpreter, then a closing line ``N passed, N failed, N skipped``.

The exit status is non-zero when an environment failed, when no test ran,
when an environment asked for with ``-e`` could not run, or when Python 3.11
is missing (the reference interpreter, on which docs, typecheck and lint
run).

Standard library only; runs on Python 3.6+.  POSIX only (bin/, process
groups).
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOXWORKDIR = os.path.join(ROOT, '.tox')
BOOTSTRAP = os.path.join(TOXWORKDIR, '.bootstrap')
# setuptools: tox 3 builds the sdist with `setup.py sdist` in this venv, and
# `python -m venv` stops installing setuptools from Python 3.12 on.
BOOTSTRAP_REQUIREMENTS = ['tox<4', 'virtualenv<20.22', 'setuptools']
RESULT_JSON = os.path.join(TOXWORKDIR, 'alltests-result.json')
# virtualenv seeds every environment with the pip it bundles for that Python,
# unless its "periodic update" has downloaded a newer pip into the user's
# app-data cache: an hour later it seeds that one, whether or not the Python
# can run it (seen: pip 26 into 3.6-3.9 environments, which then cannot
# install anything).  So: no periodic update, and an app-data cache of our
# own that nothing else writes into.
VIRTUALENV_ENVIRONMENT = {
    'VIRTUALENV_NO_PERIODIC_UPDATE': '1',
    'VIRTUALENV_OVERRIDE_APP_DATA': os.path.join(TOXWORKDIR,
                                                 '.virtualenv-app-data'),
}
# Read by tox.ini: what pytest collects when the arguments name no path.
TEST_PATHS_VARIABLE = 'HTTPTESTSERVER_TEST_PATHS'

VERSIONS = ['2.7', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13']
REQUIRED_VERSION = '3.11'
TEST_ENVS = ['py' + v.replace('.', '') for v in VERSIONS]
ENV_VERSION = dict(zip(TEST_ENVS, VERSIONS))
# Environments that run on one fixed interpreter (basepython in tox.ini).
EXTRA_ENVS = {'docs': REQUIRED_VERSION, 'typecheck': REQUIRED_VERSION,
              'lint': REQUIRED_VERSION}
DEFAULT_ENVS = TEST_ENVS + ['docs', 'typecheck', 'lint']

# Environments at once.  Measured on 2 cores, all ten environments created
# from scratch, warm pip cache: the real suite (~770 tests per interpreter)
# took 123 s with -p 2 and 109 s with -p 3; a suite that waits more on
# sockets (15 s idle per interpreter) took 212 s, 157 s and 147 s with
# -p 2, 3 and 4.  3 gets most of the gain while keeping the load low enough
# for timing-sensitive tests.
DEFAULT_PARALLEL = 3
# A whole run takes about 2 minutes here; CI kills a job at 90 minutes.
# Stop well before that, so a hang still ends with a summary.
DEFAULT_TIMEOUT = 40 * 60


def say(message=''):
    sys.stdout.write(message + '\n')
    sys.stdout.flush()


def parse_args(argv):
    if '--' in argv:
        at = argv.index('--')
        argv, posargs = argv[:at], argv[at + 1:]
    else:
        posargs = []
    parser = argparse.ArgumentParser(
        prog='alltests.py',
        description='Run the test suite on every Python interpreter present.',
        epilog='Arguments after -- go to pytest, e.g. -- -x -k keepalive.')
    parser.add_argument(
        '-e', dest='envs', action='append', default=[], metavar='ENV',
        help='run only these tox environments (repeatable or comma-separated;'
             ' known: %s)' % ', '.join(TEST_ENVS + sorted(EXTRA_ENVS)))
    parser.add_argument(
        '-p', dest='parallel', type=int, default=DEFAULT_PARALLEL,
        metavar='N', help='environments run at once (default %(default)s)')
    parser.add_argument(
        '--timeout', type=float,
        default=float(os.environ.get('ALLTESTS_TIMEOUT', DEFAULT_TIMEOUT)),
        metavar='S', help='stop tox after S seconds, 0 for never '
                          '(default %(default)s, or $ALLTESTS_TIMEOUT)')
    args = parser.parse_args(argv)
    envs = []
    for chunk in args.envs:
        for name in chunk.split(','):
            name = name.strip()
            if not name:
                continue
            if name not in ENV_VERSION and name not in EXTRA_ENVS:
                parser.error('unknown environment %r; known: %s' % (
                    name, ', '.join(TEST_ENVS + sorted(EXTRA_ENVS))))
            if name not in envs:
                envs.append(name)
    args.explicit = bool(envs)
    args.envs = envs or list(DEFAULT_ENVS)
    args.posargs = posargs
    if args.parallel < 1:
        parser.error('-p must be at least 1')
    return args


# -- 1. bootstrap -------------------------------------------------------------

def bootstrap_python(base, base_version):
    """Return the bootstrap venv's python, creating the venv if needed.

    *base* is the interpreter that creates it: Python 3.11 when present, so
    the bootstrap does not depend on which python3 runs this script (on 3.6
    pip resolves virtualenv to 20.17, whose pip cannot install on 3.13).
    """
    python = os.path.join(BOOTSTRAP, 'bin', 'python')
    stamp = os.path.join(BOOTSTRAP, 'alltests-stamp.json')
    wanted = {'requirements': BOOTSTRAP_REQUIREMENTS, 'base': base}
    try:
        with open(stamp) as f:
            current = json.load(f)
    except (OSError, ValueError):
        current = None
    if current == wanted and os.path.exists(python) and subprocess.call(
            [python, '-c', 'import tox, virtualenv, setuptools'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL) == 0:
        return python

    say('alltests: creating %s (Python %s) with %s' % (
        os.path.relpath(BOOTSTRAP, ROOT), base_version,
        ' '.join(BOOTSTRAP_REQUIREMENTS)))
    started = time.time()
    if subprocess.call([base, '-m', 'venv', '--clear', BOOTSTRAP],
                       stdin=subprocess.DEVNULL) != 0:
        sys.exit('alltests: `%s -m venv` failed; on Debian/Ubuntu install the'
                 ' python3-venv package' % base)
    pip = [python, '-m', 'pip', 'install', '--quiet',
           '--disable-pip-version-check']
    # Python 3.6's venv brings pip 18, which does not backtrack: an index
    # without requires-python data makes it pick releases 3.6 cannot run.
    if base_version == '3.6' and subprocess.call(
            pip + ['pip>=21,<22'], stdin=subprocess.DEVNULL) != 0:
        sys.exit('alltests: upgrading pip in %s failed' % BOOTSTRAP)
    if subprocess.call(pip + BOOTSTRAP_REQUIREMENTS,
                       stdin=subprocess.DEVNULL) != 0:
        sys.exit('alltests: installing %s into %s failed (see pip output'
                 ' above)' % (' '.join(BOOTSTRAP_REQUIREMENTS), BOOTSTRAP))
    with open(stamp, 'w') as f:
        json.dump(wanted, f)
    say('alltests: bootstrap ready in %.0fs' % (time.time() - started))
    return python


# -- 2. interpreters ----------------------------------------------------------

def probe(executable, version):
    """Return the real path of *executable* if it runs as Python *version*."""
    code = 'import sys; print("%d.%d" % sys.version_info[:2]); ' \
           'print(sys.executable)'
    try:
        out = subprocess.run(
            [executable, '-c', code], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            universal_newlines=True, timeout=30).stdout.split('\n')
    except (OSError, subprocess.SubprocessError):
        return None
    if len(out) >= 2 and out[0].strip() == version and out[1].strip():
        return out[1].strip()
    return None


def pyenv_root():
    root = os.environ.get('PYENV_ROOT')
    if root:
        return root
    default = os.path.expanduser('~/.pyenv')
    if os.path.isdir(default) or not shutil.which('pyenv'):
        return default
    try:
        return subprocess.run(
            ['pyenv', 'root'], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            universal_newlines=True, timeout=30).stdout.strip() or default
    except (OSError, subprocess.SubprocessError):
        return default


def candidates(version, root):
    """Yield executables that may be Python *version*, best first."""
    name = 'python' + version
    seen = set()
    for directory in os.environ.get('PATH', '').split(os.pathsep):
        path = os.path.join(directory or '.', name)
        if path not in seen and os.path.isfile(path) \
                and os.access(path, os.X_OK):
            seen.add(path)
            yield path
    found = glob.glob(os.path.join(root, 'versions', version + '.*', 'bin',
                                   'python'))
    for path in sorted(found, key=_release_key, reverse=True):
        yield path


def _release_key(path):
    """Sort plain releases (3.13.0) newest first, then variants (3.13.0t)."""
    release = os.path.basename(os.path.dirname(os.path.dirname(path)))
    numbers = re.match(r'^(\d+)\.(\d+)\.(\d+)$', release)
    if numbers:
        return (1, tuple(int(n) for n in numbers.groups()))
    return (0, ())


def find_interpreter(version, root):
    for path in candidates(version, root):
        real = probe(path, version)
        if real:
            return real
    return None


def find_interpreters(versions):
    # Imported here so that Python 2 gets as far as main()'s version check.
    from concurrent.futures import ThreadPoolExecutor
    root = pyenv_root()
    with ThreadPoolExecutor(max_workers=len(versions)) as pool:
        found = pool.map(lambda v: find_interpreter(v, root), versions)
        return dict(zip(versions, found))


# -- 3. tox -------------------------------------------------------------------

def pytest_args(posargs):
    """Return (*posargs* with paths made absolute, whether any were paths).

    tox runs pytest from an empty directory, so ``tests/test_x.py::test_y``
    (relative to here or to the checkout) must become absolute.
    """
    result, paths = [], False
    for arg in posargs:
        path, sep, rest = arg.partition('::')
        for base in (os.getcwd(), ROOT):
            candidate = os.path.join(base, path)
            if path and not arg.startswith('-') and os.path.exists(candidate):
                arg, paths = os.path.abspath(candidate) + sep + rest, True
                break
        result.append(arg)
    return result, paths


def run_tox(python, envs, interpreters, args):
    """Run tox; return (exit code, None or why it was stopped)."""
    command = [python, '-m', 'tox', '-c', os.path.join(ROOT, 'tox.ini'),
               '-p', str(args.parallel), '-e', ','.join(envs),
               '--result-json', RESULT_JSON,
               '--discover'] + interpreters
    posargs, paths = pytest_args(args.posargs)
    if posargs:
        command += ['--'] + posargs
    env = dict(os.environ)
    # tox.ini hands pytest {toxinidir}/tests unless this says otherwise; an
    # empty value hands it nothing, so only the paths given here run.
    env.pop(TEST_PATHS_VARIABLE, None)
    if paths:
        env[TEST_PATHS_VARIABLE] = ''
    if not sys.stdout.isatty():
        env['TOX_PARALLEL_NO_SPINNER'] = '1'
    env.update(VIRTUALENV_ENVIRONMENT)
    say('alltests: %s' % ' '.join(command))
    # A session of its own, so a timeout or Ctrl-C can stop tox together
    # with the tox and pytest processes it started.
    process = subprocess.Popen(command, cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL,
                               start_new_session=True)
    timeout = args.timeout if args.timeout > 0 else None
    try:
        return process.wait(timeout=timeout), None
    except subprocess.TimeoutExpired:
        say('\nalltests: tox still running after %.0fs; stopping it'
            % args.timeout)
        stop_group(process)
        return process.returncode, 'stopped after the %.0fs timeout' % (
            args.timeout)
    except KeyboardInterrupt:
        say('\nalltests: interrupted; stopping tox')
        stop_group(process)
        return process.returncode, 'interrupted'


def stop_group(process):
    """Interrupt tox's process group, then kill it if it does not exit."""
    for sig, grace in ((signal.SIGINT, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except OSError:
            pass
        while True:
            try:
                process.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                break
            except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
                grace = 0


def read_tox_results():
    """Return {env: (failure or None, exact Python version)} from tox's json.

    tox writes it with --result-json; in parallel mode the parent merges the
    children's reports.  An environment missing from it did not finish.
    """
    try:
        with open(RESULT_JSON) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    results = {}
    for name, info in data.get('testenvs', {}).items():
        failure = None
        for phase in ('setup', 'test'):
            for step in info.get(phase, []):
                code = step.get('retcode')
                if code != 0 and failure is None:
                    failure = '%s command %s: %s' % (
                        phase, 'did not finish' if code is None
                        else 'failed (exit %s)' % code,
                        ' '.join(step.get('command', []))[:200])
        if failure is None and not info.get('test'):
            failure = 'did not get to its commands'
        version = info.get('python', {}).get('version_info', [])[:3]
        results[name] = (failure, '.'.join(str(n) for n in version))
    return results


def crashed_envs(results):
    """Return the environments whose test command died from a signal
    (tox reports a negative exit code, e.g. -6 for SIGABRT)."""
    return sorted(env for env, (failure, _) in results.items()
                  if failure and re.search(r'\(exit -\d+\)', failure))


# -- 4. junit -----------------------------------------------------------------

def junit_path(env):
    return os.path.join(TOXWORKDIR, 'junit-%s.xml' % env)


def count_junit(path):
    """Return (passed, failed, skipped) from a pytest junit XML file."""
    passed = failed = skipped = 0
    for case in ET.parse(path).getroot().iter('testcase'):
        tags = {child.tag for child in case}
        if tags & {'failure', 'error'}:
            failed += 1
        elif 'skipped' in tags:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def counts_text(passed, failed, skipped):
    return '%d passed, %d failed, %d skipped' % (passed, failed, skipped)


def env_version(env):
    return ENV_VERSION.get(env) or EXTRA_ENVS[env]


def report(args, runnable, interpreters, results):
    """Print one line per environment; return (problems, totals)."""
    problems = []
    totals = [0, 0, 0]
    test_envs_run = 0
    for env in args.envs:
        version = env_version(env)
        if env not in runnable:
            say('  %-9s NOT RUN  Python %s not found' % (env, version))
            continue
        failure, exact = results.get(env, ('tox did not finish it', ''))
        where = 'Python %s, %s' % (exact or version, interpreters[version])
        if env in ENV_VERSION:
            test_envs_run += 1
            counts = None
            if os.path.exists(junit_path(env)):
                try:
                    counts = count_junit(junit_path(env))
                except ET.ParseError as error:
                    failure = failure or 'unreadable junit xml: %s' % error
            else:
                failure = failure or 'pytest wrote no junit xml'
            if counts:
                totals = [a + b for a, b in zip(totals, counts)]
                failure = failure or ('tests failed' if counts[1] else None)
            detail = counts_text(*counts) if counts else 'no test results'
        else:
            detail = {'docs': 'HTML built', 'typecheck': 'mypy clean',
                      'lint': 'flake8 clean'}[env]
            detail = 'see the tox log above' if failure else detail
        say('  %-9s %-8s %s  (%s)' % (
            env, 'FAILED' if failure else 'ok', detail, where))
        if failure:
            if failure != 'tests failed':
                say('  %-9s          %s' % ('', failure))
            problems.append('%s failed' % env)
    if test_envs_run and sum(totals) == 0:
        problems.append('no tests ran')
    return problems, totals


def main(argv):
    if sys.version_info < (3, 6):
        sys.exit('alltests: needs Python 3.6+; run it as'
                 ' `python3 .ci/alltests.py`')
    args = parse_args(argv)
    started = time.time()
    # A shell starts background jobs with SIGINT ignored, and children
    # inherit that: tests that stop a server with SIGINT would then hang.
    # A handler of our own makes every child start with the default again.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.makedirs(TOXWORKDIR, exist_ok=True)

    wanted = sorted({env_version(e) for e in args.envs} | {REQUIRED_VERSION},
                    key=VERSIONS.index)
    interpreters = find_interpreters(wanted)
    say('alltests: interpreters:')
    for version in wanted:
        say('  %-5s %s' % (version, interpreters[version] or 'MISSING'))
    base = interpreters[REQUIRED_VERSION]
    python = bootstrap_python(
        base or sys.executable,
        REQUIRED_VERSION if base else '%d.%d' % sys.version_info[:2])

    runnable = [e for e in args.envs if interpreters[env_version(e)]]
    missing = [e for e in args.envs if e not in runnable]
    problems = []
    if missing:
        say('alltests: not run, interpreter missing: %s' % ', '.join(missing))
        if args.explicit:
            problems.append('asked for %s, whose interpreter is missing'
                            % ', '.join(missing))
    if not base and (not args.explicit or missing):
        problems.append(
            'Python %s is required and was not found (as python%s on PATH or'
            ' under %s/versions)' % (REQUIRED_VERSION, REQUIRED_VERSION,
                                     pyenv_root()))

    results = {}
    if runnable:
        for path in [RESULT_JSON] + [junit_path(e) for e in runnable]:
            if os.path.exists(path):
                os.remove(path)
        paths = sorted({interpreters[env_version(e)] for e in runnable})
        tox_code, stopped = run_tox(python, runnable, paths, args)
        results = read_tox_results()
        crashed = [] if stopped else crashed_envs(results)
        if crashed:
            # An interpreter killed by a signal is not a test result: run
            # that environment once more, and say so.  Failed tests are
            # never run again.
            say('\nalltests: %s died from a signal (%s); running it once '
                'more' % (', '.join(crashed), '; '.join(
                    results[e][0] for e in crashed)))
            for env in crashed:
                if os.path.exists(junit_path(env)):
                    os.remove(junit_path(env))
            # Other environments' failures stay in results and are
            # reported below; tox's status now speaks for the rerun.
            tox_code, stopped = run_tox(python, crashed, paths, args)
            results.update(read_tox_results())
        if stopped:
            problems.append(stopped)
        elif tox_code != 0:
            problems.append('tox exited with status %s' % tox_code)

    say('')
    say('=' * 72)
    say('alltests: results after %.0fs' % (time.time() - started))
    env_problems, totals = report(args, runnable, interpreters, results)
    problems += env_problems
    say('=' * 72)
    for problem in problems:
        say('alltests: FAILED: %s' % problem)
    if not problems:
        say('alltests: every environment passed')
    say(counts_text(*totals))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
