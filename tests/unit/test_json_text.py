"""JSON through orjson, and what orjson refuses through the json module, with its results."""

import json

import pytest

from domain import json_text

VALUES = [
    {"name": "Crème", "lines": [{"q": 1, "price": 1.5}], "none": None, "yes": True},
    {"lone surrogate": "a\ud800b"},  # the edge refuses one now; an older log may hold it
    {"huge": 2**70, "negative": -(2**70)},
]


@pytest.mark.parametrize("value", VALUES)
def test_what_is_encoded_decodes_to_the_same_value(value):
    assert json_text.decoded(json_text.text(value)) == value
    assert json_text.decoded(json_text.encoded(value)) == value
    assert json.loads(json_text.text(value)) == value


@pytest.mark.parametrize("value", VALUES)
def test_what_the_json_module_wrote_decodes_as_it_would(value):
    assert json_text.decoded(json.dumps(value)) == json.loads(json.dumps(value))


def test_text_that_is_no_json_is_refused_as_the_json_module_refuses_it():
    with pytest.raises(ValueError):
        json_text.decoded("{not json")
