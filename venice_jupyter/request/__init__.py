"""What a request may say, checked before anything is sent.

PARAMS / Param          the one table of request parameters (``_table``): validation, magic
                        options, widget controls and the reference all read it
ChatParams              an immutable, validated set of values; ``coerce`` parses their text
build_body              the exact JSON body of POST /chat/completions
messages                user(), system(), assistant(), tool() … as valid message dicts
check_request           the request against the model's capabilities
to_data_url             whatever ``--image`` points at, as an image URL
fill_template           ``{name}`` placeholders from a namespace (cells, batch templates)
"""

from venice_jupyter.request import _messages as messages
from venice_jupyter.request._capabilities import check_request
from venice_jupyter.request._checks import allowed, check_value
from venice_jupyter.request._flags import param_flags, to_magic_line
from venice_jupyter.request._images import MAX_IMAGE_BYTES, to_data_url
from venice_jupyter.request._params import (
    ChatParams,
    build_body,
    coerce,
    format_model,
    lookup,
    parse_model,
    suggest,
)
from venice_jupyter.request._schema import parse_structured, response_format_for, schema_name
from venice_jupyter.request._table import GROUPS, PARAMS, SUFFIX_KEYS, Param
from venice_jupyter.request._template import Filled, escape_placeholders, fill, interpolate

__all__ = [
    "GROUPS",
    "MAX_IMAGE_BYTES",
    "PARAMS",
    "SUFFIX_KEYS",
    "ChatParams",
    "Filled",
    "Param",
    "allowed",
    "build_body",
    "check_request",
    "check_value",
    "coerce",
    "escape_placeholders",
    "fill",
    "format_model",
    "interpolate",
    "lookup",
    "messages",
    "param_flags",
    "parse_model",
    "parse_structured",
    "response_format_for",
    "schema_name",
    "suggest",
    "to_data_url",
    "to_magic_line",
]
