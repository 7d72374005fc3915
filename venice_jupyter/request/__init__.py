"""What a request may say, checked before anything is sent.

PARAMS / Param          the one table of request parameters (``_table``): validation, magic
                        options, widget controls and the reference all read it
ChatParams              an immutable, validated set of values; ``coerce`` parses their text
build_body              the exact JSON body of POST /chat/completions
messages                user(), system(), assistant(), tool() … as valid message dicts
check_request           the request against the model's capabilities
conversation_cache_key  the stable prompt_cache_key of a conversation; mark_cache_breakpoints
                        puts cache_control where explicit-caching models need it
to_data_url             whatever ``--image`` points at, as an image URL
attach / Attachment     ``--file``/``--audio``/``--video`` (and images) as content parts
check_media             Venice's attachment limits and the model's capabilities, or a dry
                        run's list of what would be refused
fill_template           ``{name}`` placeholders from a namespace (cells, batch templates)
"""

from venice_jupyter.request import _messages as messages
from venice_jupyter.request._attachments import (
    Attachment,
    attach,
    audio_attachment,
    file_attachment,
    image_attachment,
    video_attachment,
)
from venice_jupyter.request._caching import (
    LONG_MESSAGE_TOKENS,
    conversation_cache_key,
    mark_cache_breakpoints,
)
from venice_jupyter.request._capabilities import check_request
from venice_jupyter.request._checks import allowed, check_value
from venice_jupyter.request._flags import param_flags, to_magic_line
from venice_jupyter.request._images import MAX_IMAGE_BYTES, to_data_url
from venice_jupyter.request._limits import MEDIA_KINDS, PART_LIMITS, count_parts
from venice_jupyter.request._media_checks import check_media
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
    "LONG_MESSAGE_TOKENS",
    "MAX_IMAGE_BYTES",
    "MEDIA_KINDS",
    "PARAMS",
    "PART_LIMITS",
    "SUFFIX_KEYS",
    "Attachment",
    "ChatParams",
    "Filled",
    "Param",
    "allowed",
    "attach",
    "audio_attachment",
    "build_body",
    "check_media",
    "check_request",
    "check_value",
    "coerce",
    "conversation_cache_key",
    "count_parts",
    "escape_placeholders",
    "file_attachment",
    "fill",
    "format_model",
    "image_attachment",
    "interpolate",
    "lookup",
    "mark_cache_breakpoints",
    "messages",
    "param_flags",
    "parse_model",
    "parse_structured",
    "response_format_for",
    "schema_name",
    "suggest",
    "to_data_url",
    "to_magic_line",
    "video_attachment",
]
