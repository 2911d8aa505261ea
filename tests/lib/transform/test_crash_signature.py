"""The pure part of crash signatures: siggen's input, .sym files, addresses. No Spark."""

from __future__ import annotations

import json

import pytest

from lib.transform.crash_signature import (
    SIGGEN_VERSION,
    address,
    async_shutdown_text,
    crash_data,
    frame,
    java_exception,
    parse_sym,
    signature,
    sym_path,
)

SYM = """MODULE windows x86_64 0123456789ABCDEF0123456789ABCDEF1 xul.pdb
INFO CODE_ID 5F3E2A1B9C000 xul.dll
FILE 0 hg:hg.mozilla.org/mozilla-central:dom/base/Element.cpp:abc
FUNC 1000 20 0 mozilla::dom::Element::Foo()
1000 10 12 0
FUNC m 1040 10 8 mozilla::dom::Element::Bar(int)
PUBLIC 1030 0 PublicBetweenFunctions
PUBLIC 900 0 PublicBeforeEverything
STACK CFI INIT 1000 20 .cfa: $rsp 8 +
"""


def test_siggen_version_is_the_pinned_one() -> None:
    assert SIGGEN_VERSION == "2.2.20241029"


# -- addresses and paths --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0x7ff6a1b2c3d4", 0x7FF6A1B2C3D4),
        ("0X1A", 26),
        (4096, 4096),
        (0, 0),
        ("0xffffffffffffffff", 2**64 - 1),
        ("4096", None),  # decimal text is no address the pings write
        ("0xzz", None),
        (-1, None),
        (True, None),
        (None, None),
        (1.5, None),
    ],
)
def test_address_reads_hex_text_and_numbers(value: object, expected: int | None) -> None:
    assert address(value) == expected


def test_sym_path_drops_a_trailing_pdb_only() -> None:
    assert sym_path("xul.pdb", "ABC1") == "xul.pdb/ABC1/xul.sym"
    assert sym_path("XUL", "DEF2") == "XUL/DEF2/XUL.sym"
    assert sym_path("libxul.so", "0F1") == "libxul.so/0F1/libxul.so.sym"


# -- symbolication ----------------------------------------------------------------------


def test_parse_sym_reads_func_and_public_records_only() -> None:
    table = parse_sym(SYM.splitlines())
    assert table.functions == (
        (0x1000, 0x20, "mozilla::dom::Element::Foo()"),
        (0x1040, 0x10, "mozilla::dom::Element::Bar(int)"),
    )
    assert table.publics == ((0x900, "PublicBeforeEverything"), (0x1030, "PublicBetweenFunctions"))


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (0x1000, "mozilla::dom::Element::Foo()"),  # a FUNC's first byte
        (0x101F, "mozilla::dom::Element::Foo()"),  # its last byte
        (0x1020, "PublicBeforeEverything"),  # past Foo's end, below the next PUBLIC
        (0x1030, "PublicBetweenFunctions"),  # a PUBLIC at the offset
        (0x103F, "PublicBetweenFunctions"),
        (0x1045, "mozilla::dom::Element::Bar(int)"),  # a FUNC with the multiple flag
        (0x1050, "PublicBetweenFunctions"),  # past the last FUNC's end
        (0x950, "PublicBeforeEverything"),
        (0x10, None),  # below every record
    ],
)
def test_resolve_takes_the_func_holding_the_offset_else_the_last_public(offset: int, expected: str | None) -> None:
    assert parse_sym(SYM.splitlines()).resolve(offset) == expected


def test_resolve_in_a_file_without_records() -> None:
    assert parse_sym(["MODULE Linux x86_64 ABC libfoo.so"]).resolve(0x10) is None


def test_a_file_read_from_disk_with_crlf_endings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / sym_path("xul.pdb", "ABC1")
    path.parent.mkdir(parents=True)
    path.write_bytes(SYM.replace("\n", "\r\n").encode())
    with path.open(newline="") as lines:
        assert parse_sym(lines).resolve(0x1001) == "mozilla::dom::Element::Foo()"


# -- siggen's input -----------------------------------------------------------------


def test_frame_prefers_the_function_then_module_offset_then_the_address() -> None:
    assert frame("xul.dll", 0x1A, "Foo", 0x7000001A) == {
        "function": "Foo",
        "module": "xul.dll",
        "module_offset": "0x1a",
    }
    assert frame("xul.dll", 0x1A, None, 0x7000001A) == {"module": "xul.dll", "module_offset": "0x1a"}
    assert frame(None, None, None, 0x7000001A) == {"offset": "0x7000001a"}


def test_crash_data_names_the_os_as_socorro_and_pads_threads() -> None:
    data = crash_data("Windows_NT", 2, {0: [{"function": "a"}], 2: [{"function": "b"}]}, oom_allocation_size="12")
    assert data == {
        "os": "Windows NT",
        "crashing_thread": 2,
        "threads": [{"frames": [{"function": "a"}]}, {"frames": []}, {"frames": [{"function": "b"}]}],
        "oom_allocation_size": 12,
    }
    assert crash_data("Darwin", None, {})["os"] == "Mac OS X"
    assert crash_data(None, None, {}) == {"os": None, "crashing_thread": None, "threads": []}


def test_async_shutdown_conditions_held_as_text_become_an_array() -> None:
    glean = {"phase": "profile-before-change", "conditions": json.dumps([{"name": "B"}, {"name": "A"}])}
    assert json.loads(async_shutdown_text(glean) or "") == {
        "phase": "profile-before-change",
        "conditions": [{"name": "B"}, {"name": "A"}],
    }
    legacy = '{"phase": "x", "conditions": [{"name": "A"}]}'
    assert async_shutdown_text(legacy) == legacy
    assert async_shutdown_text("not json") == "not json"
    assert async_shutdown_text(None) is None


def test_java_exception_of_throwables_and_of_the_older_format() -> None:
    throwables = {
        "throwables": [
            {
                "type_name": "java.lang.IllegalStateException",
                "message": "boom",
                "stack": [{"class_name": "org.mozilla.Foo", "method_name": "bar", "file": "Foo.kt", "line_number": 3}],
            }
        ]
    }
    frames = [{"module": "org.mozilla.Foo", "function": "bar", "filename": "Foo.kt"}]
    assert java_exception(throwables) == {
        "exception": {
            "values": [{"stacktrace": {"module": "java.lang", "type": "IllegalStateException", "frames": frames}}]
        }
    }
    older = {
        "messages": ["java.io.IOException: disk"],
        "stack": [{"className": "org.mozilla.Foo", "methodName": "bar"}],
    }
    value = java_exception(json.dumps(older))
    assert value is not None
    assert value["exception"]["values"][0]["stacktrace"]["type"] == "IOException"
    assert java_exception("[not an object") is None
    assert java_exception(None) is None


# -- siggen's known cases, through crash_data ----------------------------------------


def _frames(*functions: str) -> list[dict[str, str]]:
    return [{"function": f} for f in functions]


def test_the_stack_gives_the_signature() -> None:
    data = crash_data("Linux", 0, {0: _frames("mozilla::dom::Foo", "mozilla::dom::Bar")})
    assert signature(data) == "mozilla::dom::Foo"


def test_oom_small_and_large() -> None:
    stack = {0: _frames("mozalloc_abort", "mozalloc_handle_oom", "moz_xmalloc", "hello")}
    assert signature(crash_data("Windows_NT", 0, stack, oom_allocation_size=17)) == "OOM | small"
    assert signature(crash_data("Windows_NT", 0, stack, oom_allocation_size="17000000")).startswith("OOM | large | ")


def test_shutdownhang_takes_thread_zero() -> None:
    threads = {
        0: _frames("NtWaitForMultipleObjects", "MsgWaitForMultipleObjects", "F_1152915508_____"),
        1: _frames("mozilla::`anonymous namespace'::RunWatchdog(void*)", "PR_NativeRunThread"),
    }
    data = crash_data("Windows_NT", 1, threads)
    assert signature(data) == "shutdownhang | MsgWaitForMultipleObjects | F_1152915508_____"


def test_ipc_channel_error_replaces_the_signature() -> None:
    data = crash_data("Linux", 0, {0: _frames("mozilla::Foo")}, ipc_channel_error="ShutDownKill")
    assert signature(data) == "IPCError-content | ShutDownKill"


def test_async_shutdown_timeout_from_a_glean_object() -> None:
    timeout = {"phase": "profile-before-change", "conditions": json.dumps([{"name": "B"}, {"name": "A"}])}
    data = crash_data("Windows_NT", 0, {0: _frames("mozilla::Foo")}, async_shutdown_timeout=timeout)
    assert signature(data) == "AsyncShutdownTimeout | profile-before-change | A,B"


def test_moz_crash_reason_with_its_frame() -> None:
    # siggen keeps MOZ_CrashOOL and friends out of the signature; the reason is carried
    # as crash-ping-ingest carries it (siggen 2.2 does not add it to the signature).
    data = crash_data(
        "Linux",
        0,
        {0: _frames("MOZ_Crash", "mozilla::dom::ContentParent::Boom", "main")},
        moz_crash_reason="MOZ_RELEASE_ASSERT(false)",
    )
    assert data["moz_crash_reason"] == "MOZ_RELEASE_ASSERT(false)"
    assert signature(data) == "mozilla::dom::ContentParent::Boom"


def test_java_exception_for_android() -> None:
    value = {
        "throwables": [
            {
                "type_name": "java.lang.IllegalStateException",
                "stack": [
                    {"class_name": "org.mozilla.fenix.Foo", "method_name": "bar", "file": "Foo.kt"},
                    {"class_name": "android.os.Handler", "method_name": "dispatch", "file": "Handler.java"},
                ],
            }
        ]
    }
    data = crash_data("Android", None, {}, java_exception_value=value)
    assert signature(data) == "java.lang.IllegalStateException: at org.mozilla.fenix.Foo.bar(Foo.kt)"


def test_without_a_stack_the_annotations_alone() -> None:
    assert signature(crash_data("Linux", None, {}, oom_allocation_size=10)) == "OOM | small"
    assert signature(crash_data("Linux", None, {})) == "EMPTY: no frame data available"
