"""Which handler classes may be answered in the event loop: those that add
no hook to the library's Handler."""
import pytest

import httptestserver
from httptestserver.serving.handoff import answers_inline


def test_the_library_handler_answers_inline():
    assert answers_inline(httptestserver.Handler)


def test_a_subclass_overriding_log_message_answers_inline():
    class Quiet(httptestserver.Handler):
        def log_message(self, format, *args):
            pass
    assert answers_inline(Quiet)


def test_a_subclass_setting_a_class_attribute_answers_inline():
    class Patient(httptestserver.Handler):
        timeout = 5
    assert answers_inline(Patient)


@pytest.mark.parametrize('hook', ['handle_request', 'update_state',
                                  'save_history', 'send_response',
                                  'do_GET', 'do_PATCH'])
def test_a_subclass_adding_a_hook_does_not_answer_inline(hook):
    Hooked = type('Hooked', (httptestserver.Handler,),
                  {hook: lambda self, *args: None})
    assert not answers_inline(Hooked)


def test_a_subclass_of_a_hooked_subclass_does_not_answer_inline():
    class Hooked(httptestserver.Handler):
        def do_GET(self):
            pass

    class Quiet(Hooked):
        def log_message(self, format, *args):
            pass
    assert not answers_inline(Quiet)


def test_a_class_without_the_library_handler_does_not_answer_inline():
    class Other(object):
        pass
    assert not answers_inline(Other)


def test_the_answer_is_the_same_when_asked_again():
    class Hooked(httptestserver.Handler):
        def update_state(self):
            pass
    assert answers_inline(Hooked) is False
    assert answers_inline(Hooked) is False
    assert answers_inline(httptestserver.Handler) is True
