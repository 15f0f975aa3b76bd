# -*- coding: utf-8 -*-
"""Tests for httptestserver.protocol.params: header values and their
parameters."""

import pytest

from httptestserver.protocol.params import parse_content_type

from _request_parts import native


# -- parse_content_type -----------------------------------------------------

def test_content_type_is_lowercased_and_stripped():
    assert parse_content_type('  Text/HTML ') == ('text/html', {})


def test_content_type_parameters_have_lowercased_names_and_kept_values():
    value = 'text/plain; Charset=UTF-8 ;format="Flowed"'
    assert parse_content_type(value) == (
        'text/plain', {'charset': 'UTF-8', 'format': 'Flowed'})


def test_quoted_content_type_parameter_may_hold_semicolons_and_quotes():
    assert parse_content_type(
        'multipart/form-data; boundary="a;b \\"c\\""; x=1') == (
        'multipart/form-data', {'boundary': 'a;b "c"', 'x': '1'})


def test_extended_parameter_is_decoded_and_wins():
    assert parse_content_type(
        "attachment; title*=UTF-8''%E2%82%AC%20rates; title=EUR") == (
        'attachment', {'title': native(u'\u20ac rates')})


@pytest.mark.parametrize('value', [None, ''])
def test_missing_content_type_is_empty(value):
    assert parse_content_type(value) == ('', {})


@pytest.mark.parametrize('value', [
    ';', ';;=;', 'a/b; =x', 'a/b; x="unterminated', "a/b; x*=bad", 'a/b; x',
])
def test_malformed_content_type_does_not_raise(value):
    mime_type, params = parse_content_type(value)
    assert isinstance(params, dict)
