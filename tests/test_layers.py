"""The package's shape: rooms by concept, imports only go down, no module
reaches into another's private attributes, a small public surface."""
import ast
import os

import httptestserver

PACKAGE = os.path.dirname(httptestserver.__file__)

#: The rooms, lowest first.  A module may import from a lower room and from
#: modules of its own room (without a loop); never from a room at its level
#: or above.  Top-level modules are rooms of their own, in this order.
ROOMS = [
    ['errors', '_compat', 'legacy'],
    ['certificates'],
    ['headers', 'tls'],
    ['protocol'],
    ['answers'],
    ['store', 'static', 'streams'],
    ['serving', 'remote'],
    ['server'],
    ['helpers'],
    ['mixins', 'cli', 'pytest_plugin'],
    ['__init__', '__main__'],
]

#: Private names of other packages we must touch, each with its reason.
FOREIGN_PRIVATE = {
    '_excinfo',  # pytest: the item's exception info, for the teardown report
    '_code',  # pytest: _pytest._code.ExceptionInfo
    '_get_running_loop',  # asyncio on 3.6, which has no get_running_loop
    '_ssl', '_test_decode_cert',  # the certificate decoder of the ssl module
    '_current_frames',  # sys: where the test sent a request that failed
}

MAX_MODULE_LINES = 400
MAX_TOP_MODULES = 16
MAX_PACKAGE_MODULES = 12


def modules():
    """Dotted names of every module of the package, relative to it."""
    found = []
    for directory, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.relpath(os.path.join(directory, name), PACKAGE)
            found.append(path[:-3].replace(os.sep, '.'))
    return sorted(found)


def path_of(module):
    return os.path.join(PACKAGE, module.replace('.', os.sep) + '.py')


def read(path):
    with open(path) as source:
        return source.read()


def room_of(module):
    head = module.split('.')[0]
    for index, room in enumerate(ROOMS):
        if head in room:
            return index
    raise AssertionError('module %r is in no room: add it to ROOMS' % module)


def resolve(module, node):
    """Yield the package modules an ``import``/``from`` node names."""
    package = module.split('.')[:-1]
    if module.endswith('__init__'):
        package = module.split('.')[:-1]
    if isinstance(node, ast.ImportFrom) and node.level:
        base = package[:len(package) - (node.level - 1)]
        target = base + (node.module.split('.') if node.module else [])
    elif isinstance(node, ast.ImportFrom) and node.module and \
            node.module.split('.')[0] == 'httptestserver':
        target = node.module.split('.')[1:]
    elif isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split('.')[0] == 'httptestserver':
                yield '.'.join(alias.name.split('.')[1:]) or '__init__'
        return
    else:
        return
    known = set(modules())
    dotted = '.'.join(target)
    if dotted in known:
        yield dotted
        return
    for alias in node.names:  # from .answers import faults
        candidate = '.'.join(target + [alias.name])
        if candidate in known:
            yield candidate
        else:
            yield (dotted + '.__init__') if dotted else '__init__'


def imports_of(module):
    tree = ast.parse(read(path_of(module)))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in resolve(module, node):
                yield target


def test_imports_only_go_down():
    for module in modules():
        for target in imports_of(module):
            if target.endswith('__init__') and target != '__init__':
                continue  # a sub-package's face: it defines nothing
            assert target != '__init__' or module == '__main__', \
                '%s imports the package top; import the module instead' \
                % module
            same = target.split('.')[0] == module.split('.')[0]
            assert same or room_of(target) < room_of(module), \
                '%s imports %s, which is not below it' % (module, target)


def test_imports_inside_a_room_make_no_loop():
    graph = dict((module, set(imports_of(module))) for module in modules())
    done, path = set(), []

    def visit(module):
        if module in done:
            return
        assert module not in path, 'import loop: %s' % ' -> '.join(
            path[path.index(module):] + [module])
        path.append(module)
        for target in graph.get(module, ()):
            visit(target)
        path.pop()
        done.add(module)

    for module in graph:
        visit(module)


def test_the_rooms_stay_small():
    tops = [m for m in modules() if '.' not in m]
    assert len(tops) <= MAX_TOP_MODULES, tops
    packages = set(m.split('.')[0] for m in modules() if '.' in m)
    for package in packages:
        inside = [m for m in modules() if m.startswith(package + '.')]
        assert len(inside) <= MAX_PACKAGE_MODULES + 1, inside  # + __init__


def test_no_module_is_over_the_line_budget():
    for module in modules():
        lines = len(read(path_of(module)).splitlines())
        assert lines <= MAX_MODULE_LINES, '%s has %d lines; split it by ' \
            'concept' % (module, lines)


def private_names_defined(tree):
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and \
                isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split('.')[-1])
    return names


def test_no_module_reaches_into_another_modules_private_attributes():
    for module in modules():
        tree = ast.parse(read(path_of(module)))
        own = private_names_defined(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            name = node.attr
            if not name.startswith('_') or name.startswith('__'):
                continue
            if isinstance(node.value, ast.Name) and \
                    node.value.id in ('self', 'cls'):
                continue
            assert name in own or name in FOREIGN_PRIVATE, \
                '%s line %d reads %s, a private attribute defined in ' \
                'another module; give that module a public method' \
                % (module, node.lineno, name)


def test_no_module_shadows_a_stdlib_module():
    for module in modules():
        assert module.split('.')[-1] not in (
            'ssl', 'http', 'unittest', 'socket', 'json', 'select',
            'exceptions', 'types', 'logging', 'test', 'selectors'), module


#: The public surface; a change here is a change of the API.
PUBLIC = {
    'Server', 'Handler', 'start_server', 'start_ssl_server', 'http_server',
    'https_server', 'HttpServerTest', 'HttpsServerTest',
    'Route', 'Response', 'Matcher', 'Headers', 'History', 'wait_async',
    'EventStream', 'StreamRecord', 'format_event', 'WebSocket', 'Message',
    'Close', 'Mount', 'serve_directory',
    'load_stubs', 'dump_stubs', 'from_wiremock', 'to_wiremock',
    'normalise_stub', 'response_spec', 'enable_control', 'ControlAPI',
    'ChildServer', 'start_child_server', 'RemoteError',
    'CA_FILE', 'SERVER_CERT_FILE', 'SERVER_KEY_FILE', 'CLIENT_CERT_FILE',
    'CLIENT_KEY_FILE', 'client_context',
    'HttpTestServerError', 'ServerStateError', 'ConfigurationError',
    'CertificateError', 'HandlerError', 'VerificationError', 'WaitTimeout',
}


def test_only_the_public_names_are_exported():
    assert set(httptestserver.__all__) == PUBLIC
    assert len(httptestserver.__all__) == len(PUBLIC)  # no duplicates
    for name in httptestserver.__all__:
        assert hasattr(httptestserver, name), name


def test_only_the_plugin_module_imports_pytest():
    for module in modules():
        if module == 'pytest_plugin':
            continue
        assert 'import pytest' not in read(path_of(module)), module


def test_the_seed_documents_handler_in_the_server_module():
    from httptestserver.server import Handler, Server
    assert Handler is httptestserver.Handler
    assert Server is httptestserver.Server


def test_the_docs_import_only_public_names():
    docs = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), 'docs')
    if not os.path.isdir(docs):  # pragma: no cover - run from a checkout
        return
    allowed = ('httptestserver', 'httptestserver.server',
               'httptestserver.protocol', 'httptestserver.pytest_plugin')
    for name in sorted(os.listdir(docs)):
        if not name.endswith('.rst'):
            continue
        tree_text = read(os.path.join(docs, name))
        for line in tree_text.splitlines():
            words = line.strip().split()
            if len(words) >= 4 and words[0] == 'from' and \
                    words[2] == 'import' and \
                    words[1].startswith('httptestserver'):
                assert words[1] in allowed, \
                    '%s: %r imports from an internal module' % (name, line)
