"""The package's shape: imports only go down; a small public surface."""
import ast
import os

import httptestserver

PACKAGE = os.path.dirname(httptestserver.__file__)

#: Lower layers first; a module may import only from layers below its own.
LAYERS = [
    {'errors', '_compat'},
    {'headers', 'http11_events', 'http11_writer', 'parsing', 'tls',
     'aio', 'matchers', 'fault_actions', 'delays', 'static_files',
     'conditional'},
    {'http11_reader', 'faults', 'stubs', 'child'},
    {'http11', 'wiremock'},
    {'responses'},
    {'routes', 'sse', 'websocket', 'records', 'remote_specs'},
    {'state', 'verification', 'static', 'websocket_sessions'},
    {'exchange', 'listener'},
    {'handler'},
    {'server'},
    {'control'},
    {'process'},
    {'helpers'},
    {'mixins', 'cli', 'pytest_plugin'},
    {'__init__', '__main__'},
]


def layer_of(module):
    for index, layer in enumerate(LAYERS):
        if module in layer:
            return index
    raise AssertionError('module %r is in no layer: add it to LAYERS'
                         % module)


def read(path):
    with open(path) as source:
        return source.read()


def package_imports(path):
    tree = ast.parse(read(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith('httptestserver'):
                    yield alias.name.split('.')[1] if '.' in alias.name \
                        else None
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                yield node.module.split('.')[0]
            else:  # from . import tls
                for alias in node.names:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith('httptestserver'):
            yield node.module.split('.')[1] if '.' in node.module else None


def modules():
    return sorted(name[:-3] for name in os.listdir(PACKAGE)
                  if name.endswith('.py'))


def test_imports_only_go_down():
    for module in modules():
        for imported in package_imports(os.path.join(PACKAGE,
                                                     module + '.py')):
            assert imported is not None, '%s imports the package' % module
            assert layer_of(imported) < layer_of(module), \
                '%s imports %s, which is not below it' % (module, imported)


def test_no_module_shadows_a_stdlib_module():
    for forbidden in ('ssl', 'http', 'unittest', 'socket', 'json', 'select',
                      'exceptions', 'types', 'logging', 'test'):
        assert forbidden not in modules()


#: The public surface; a change here is a change of the API.
PUBLIC = {
    'Server', 'Handler', 'Headers',
    'start_server', 'start_ssl_server', 'http_server', 'https_server',
    'HttpServerTest', 'HttpsServerTest',
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
        source = read(os.path.join(PACKAGE, module + '.py'))
        assert 'import pytest' not in source, module


def test_the_seed_documents_handler_in_the_server_module():
    from httptestserver.server import Handler, Server
    assert Handler is httptestserver.Handler
    assert Server is httptestserver.Server
