"""The GraphiQL page's welcome text: it says where the docs are, in lines that fit."""

import re

from schema.graphiql import page_html


def welcome_text() -> str:
    found = re.search(r"const EXAMPLE_QUERY = `(.*?)`;", page_html(), re.DOTALL)
    assert found, "the page has no welcome text"
    return found.group(1)


def test_the_welcome_text_says_where_the_docs_button_is():
    text = welcome_text()
    assert "docs on the left" not in text  # the panel starts closed: there are none there
    assert "book icon, top left" in text


def test_every_line_fits_a_narrow_editor():
    assert max(len(line) for line in welcome_text().splitlines()) <= 50


def test_the_page_picks_the_websocket_from_the_text_it_sends():
    assert "GraphiQL.GraphQL.parse(params.query)" in page_html()
