"""Independent actions run side by side, every one of them, whatever fails."""

import threading

import pytest

from lib.runtime.concurrent import run_all


def test_actions_run_at_the_same_time():
    both_started = threading.Barrier(2, timeout=5)  # broken (an error) if they ran one after the other
    ran = []

    def action(name):
        def run():
            both_started.wait()
            ran.append(name)

        return run

    run_all({"a": action("a"), "b": action("b")})
    assert sorted(ran) == ["a", "b"]


def test_a_failure_lets_the_others_finish_then_the_first_failure_is_raised():
    ran = []

    def fails(message):
        def run():
            ran.append(message)
            raise ValueError(message)

        return run

    with pytest.raises(ValueError, match="first"):
        run_all({"x": fails("first"), "y": lambda: ran.append("ok"), "z": fails("second")}, workers=2)
    assert sorted(ran) == ["first", "ok", "second"]


def test_one_worker_runs_them_in_order():
    ran = []
    run_all({str(i): (lambda i=i: ran.append(i)) for i in range(5)}, workers=1)
    assert ran == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("workers", [1, 2])
def test_each_actions_result_comes_back_by_its_name(workers):
    assert run_all({"a": lambda: 1, "b": lambda: (2, 3)}, workers=workers) == {"a": 1, "b": (2, 3)}
