"""Run one fuzz test under atheris, a coverage-guided fuzzer (libFuzzer).

Not a test module: a command for long campaigns, where atheris installs
(CPython 3 on Linux and macOS, from wheels).  Hypothesis draws each
example from the bytes atheris hands it (``fuzz_one_input``), so the test
keeps its strategies, its invariants and its register of known bugs, while
atheris steers the bytes towards new branches of httptestserver::

    pip install atheris
    PYTHONPATH=. python tests/fuzz/coverage_guided.py --list
    TARGET=test_fuzz_http11:test_mutated_requests_give_the_same_events_however_split
    PYTHONPATH=. python tests/fuzz/coverage_guided.py "$TARGET" \\
        -max_total_time=600 -artifact_prefix=/tmp/fuzz- /tmp/fuzz-corpus

Arguments after the test name go to libFuzzer (``-help=1`` lists them); a
corpus directory keeps what atheris found interesting for the next run.
A failing example stops the run with the test's traceback and a
``crash-*`` file (under ``-artifact_prefix``) holding the bytes; the
failing example is printed as Hypothesis prints it.  Only tests decorated
with ``@given`` at module level can be run this way.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _fuzz_tests(module):
    return sorted(name for name, value in vars(module).items()
                  if name.startswith('test_') and
                  hasattr(getattr(value, 'hypothesis', None),
                          'fuzz_one_input'))


def main(argv):
    import atheris

    # The fuzz tests import their helpers and conftest.py by name, as
    # pytest's rootdir-relative import lets them.
    sys.path[:0] = [HERE, os.path.dirname(HERE)]
    with atheris.instrument_imports(include=['httptestserver']):
        import httptestserver  # noqa: F401  # every module it loads
    if len(argv) < 2 or argv[1] == '--list':
        for name in sorted(os.listdir(HERE)):
            if name.startswith('test_fuzz_') and name.endswith('.py'):
                module = __import__(name[:-3])
                for test in _fuzz_tests(module):
                    print('%s:%s' % (name[:-3], test))
        return 0
    module_name, _, test_name = argv[1].partition(':')
    module = __import__(module_name)
    if test_name not in _fuzz_tests(module):
        sys.stderr.write('%s is not a module-level @given test of %s; see '
                         '--list\n' % (test_name, module_name))
        return 2
    test = getattr(module, test_name)
    atheris.Setup([argv[0]] + argv[2:], test.hypothesis.fuzz_one_input)
    atheris.Fuzz()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
