"""``python -m httptestserver``: prints its URL, serves (stub files too),
stops on Ctrl-C."""
import json
import os
import select
import signal
import subprocess
import sys
import threading

import pytest
import requests

import httptestserver

from conftest import TIMEOUT, communicate


def run_cli(*args):
    env = dict(os.environ)
    env['PYTHONUNBUFFERED'] = '1'
    return subprocess.Popen(
        [sys.executable, '-m', 'httptestserver'] + list(args),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def read_line(stream, timeout=TIMEOUT):
    """Read one line from *stream* in a thread, bounded by *timeout*."""
    lines = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()))
    reader.daemon = True
    reader.start()
    reader.join(timeout)
    assert lines, 'no line within %ss' % timeout
    return lines[0].decode('utf-8')


def finish(process, sig=signal.SIGINT):
    """Send *sig* and wait for the exit; return (code, stdout, stderr)."""
    process.send_signal(sig)
    return wait_exit(process)


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_prints_its_url_serves_and_stops_cleanly(sig):
    process = run_cli()
    try:
        line = read_line(process.stdout)
        assert line.startswith('Serving on http://127.0.0.1:')
        url = line.split()[-1]
        assert requests.get(url + 'hello', timeout=TIMEOUT).ok
    finally:
        code, out, err = finish(process, sig)
    assert code == 0
    assert 'Stopped.' in out
    assert 'GET /hello' in err  # requests are logged to stderr


def test_https_prints_the_ca_to_trust():
    process = run_cli('--https', '--port', '0')
    try:
        url = read_line(process.stdout).split()[-1]
        assert url.startswith('https://127.0.0.1:')
        ca_line = read_line(process.stdout)
        assert ca_line.strip() == 'Trust the test CA: %s' % \
            httptestserver.CA_FILE
        assert requests.get(url, timeout=TIMEOUT,
                            verify=httptestserver.CA_FILE).ok
    finally:
        assert finish(process)[0] == 0


def test_a_busy_port_is_a_clear_error():
    with httptestserver.http_server() as busy:
        process = run_cli('--port', str(busy.port))
        code, out, err = wait_exit(process)
    assert code == 2
    assert 'already in use' in err


def wait_exit(process):
    out, err, _ = communicate(process, TIMEOUT)
    return process.returncode, out.decode('utf-8'), err.decode('utf-8')


def test_the_history_is_capped_and_help_says_so():
    help_text = subprocess.check_output(
        [sys.executable, '-m', 'httptestserver', '--help']).decode('utf-8')
    assert '--history-limit' in help_text and 'last N requests' in help_text
    process = run_cli('--history-limit', '3', '--quiet')
    try:
        url = read_line(process.stdout).split()[-1]
        with requests.Session() as session:
            for number in range(5):
                session.get(url + 'r%d' % number, timeout=TIMEOUT)
            kept = session.get(url + '__admin/requests?format=entries',
                               timeout=TIMEOUT).json()['requests']
        assert [r['path'] for r in kept] == ['/r2', '/r3', '/r4']
    finally:
        code, _, _ = finish(process)
    assert code == 0


def test_the_history_keeps_a_bounded_number_of_body_bytes():
    code, help_text, _ = wait_exit(run_cli('--help'))
    assert code == 0 and '--history-bytes' in help_text
    assert 'default: 64M' in ' '.join(help_text.split())
    process = run_cli('--history-bytes', '2K', '--quiet')
    try:
        url = read_line(process.stdout).split()[-1]
        with requests.Session() as session:
            for number in range(4):
                session.put(url + 'up', data=b'%d' % number * 1024,
                            timeout=TIMEOUT)
            kept = session.get(url + '__admin/requests?format=entries',
                               timeout=TIMEOUT).json()['requests']
        assert [len(r['body']) for r in kept] == [0, 0, 1024, 1024]
        assert [r.get('body_dropped') for r in kept] == [1024, 1024, None,
                                                         None]
    finally:
        code, _, _ = finish(process)
    assert code == 0


@pytest.mark.parametrize('value', ['-1', 'lots', '1X', '0.5M'])
def test_a_bad_history_bytes_exits_2_naming_the_option(value):
    code, _, err = wait_exit(run_cli('--history-bytes', value))
    assert code == 2 and '--history-bytes' in err


def test_a_directory_is_served_from_the_command_line(tmp_path):
    (tmp_path / 'page.html').write_bytes(b'<p>hi</p>')
    process = run_cli('--directory', str(tmp_path), '--quiet')
    try:
        url = read_line(process.stdout).split()[-1]
        response = requests.get(url + 'page.html', timeout=TIMEOUT)
        assert response.content == b'<p>hi</p>'
        assert response.headers['Content-Type'].startswith('text/html')
    finally:
        finish(process)


def test_a_bad_history_limit_exits_2_naming_the_option():
    process = run_cli('--history-limit', '-1')
    code, _, err = wait_exit(process)
    assert code == 2 and '--history-limit' in err


def read_banner(process):
    """Read the CLI's banner, up to its last line, bounded in time."""
    data = b''
    fd = process.stdout.fileno()
    while b'Press Ctrl-C to stop.\n' not in data:
        ready = select.select([fd], [], [], TIMEOUT)[0]
        assert ready, 'no banner within %ss: %r' % (TIMEOUT, data)
        chunk = os.read(fd, 4096)
        assert chunk, 'the CLI exited: %r' % (process.communicate(),)
        data += chunk
    return data.decode('utf-8').splitlines()


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_the_cli_serves_stub_files_and_exits_cleanly_on_signals(sig, tmpdir):
    tmpdir.mkdir('mappings').join('hello.json').write(json.dumps(
        {'request': {'method': 'GET', 'url': '/hello'},
         'response': {'status': 200, 'body': 'hi'}}))
    port_file = str(tmpdir.join('port'))
    process = run_cli('--stubs', str(tmpdir), '--port-file', port_file)
    try:
        lines = read_banner(process)
        url = lines[0].split()[-1]
        assert lines[1] == 'Control API: %s__admin/' % url
        with open(port_file) as handle:
            assert url == 'http://127.0.0.1:%d/' % int(handle.read())
        assert requests.get(url + 'hello', timeout=TIMEOUT).text == 'hi'
        listing = requests.get(url + '__admin/mappings', timeout=TIMEOUT)
        assert listing.json()['meta']['total'] == 1
    finally:
        process.send_signal(sig)
        out, err = process.communicate()
    assert process.returncode == 0, err
    assert out.decode('utf-8').endswith('Stopped.\n')
    assert not os.path.exists(port_file)


def test_the_cli_names_the_bad_field_of_a_stub_file(tmpdir):
    stub = tmpdir.join('bad.json')
    stub.write(json.dumps({'request': {
        'urlPath': '/', 'method': 'GET',
        'bodyPatterns': [{'equalToXml': 'x'}]}}))
    process = run_cli('--stubs', str(stub))
    out, err = process.communicate()
    assert process.returncode == 2
    assert 'bad.json: mapping.request.bodyPatterns[0]' in err.decode('utf-8')
