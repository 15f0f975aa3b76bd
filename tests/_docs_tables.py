"""Reading a client table of docs/faults.rst, so a test can check that the
page says what the clients did."""
import io
import os

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                    'docs')


def fault_table(label, clients):
    """Return the ``list-table`` after ``.. _<label>:`` in faults.rst as
    ``{row name: {client: cell}}``, *clients* naming the columns after the
    first."""
    with io.open(os.path.join(DOCS, 'faults.rst'), encoding='utf-8') as page:
        text = page.read()
    table = text.split('.. _%s:' % label)[1].split('\n\n\n')[0]
    found = {}
    for row in table.split('   * - ')[2:]:  # after the header row
        row = row.split('\n\n')[0]  # the text after the table
        cells = [cell.strip().strip('`') for cell in row.split('\n     - ')]
        found[cells[0]] = dict(zip(clients, cells[1:]))
    return found


def as_cells(outcomes):
    """*outcomes* (``{row: {client: result}}``) as the table writes them."""
    return dict((row, dict((client, '**OK**' if result == 'OK' else result)
                           for client, result in results.items()))
                for row, results in outcomes.items())
