import io

from cellblock.core.progress import ProgressBar, bars


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_the_bar_redraws_in_place_and_ends_its_line():
    out = Terminal()
    bar = ProgressBar(500, out, "rows checked", width=10)
    bar.advance(120)
    assert out.getvalue().endswith("\r[##--------] 120/500 rows checked")
    bar.advance(380)
    bar.close()
    assert out.getvalue().endswith("\r[##########] 500/500 rows checked\n")
    assert out.getvalue().count("\n") == 1


def test_elsewhere_the_bar_writes_a_plain_line_per_tenth_and_one_at_the_end():
    out = io.StringIO()
    with ProgressBar(100, out, "records loaded") as bar:
        for _ in range(100):
            bar.advance()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[0] == "10/100 records loaded"
    assert lines[-1] == "100/100 records loaded"
    assert len(lines) == 10


def test_an_empty_job_still_says_it_is_done():
    out = io.StringIO()
    ProgressBar(0, out, "rows read").close()
    assert out.getvalue() == "0/0 rows read\n"


def test_advancing_past_the_total_or_after_closing_changes_nothing():
    out = Terminal()
    bar = ProgressBar(3, out, width=3)
    bar.advance(10)
    bar.close()
    bar.advance()
    bar.close()
    assert out.getvalue().endswith("\r[###] 3/3\n")
    assert out.getvalue().count("\n") == 1


def test_a_command_output_gets_no_newline_after_each_redraw():
    from django.core.management.base import OutputWrapper

    raw = Terminal()
    bar = bars(OutputWrapper(raw))("files written", 2)
    bar.advance()
    bar.advance()
    bar.close()
    assert raw.getvalue().count("\n") == 1
    assert raw.getvalue().endswith("] 2/2 files written\n")


def test_a_long_job_redraws_the_terminal_at_most_a_thousand_times():
    out = Terminal()
    bar = ProgressBar(100_000, out, "rows")
    for _ in range(100_000):
        bar.advance()
    bar.close()
    assert out.getvalue().count("\r") <= 1002
    assert out.getvalue().endswith("] 100000/100000 rows\n")
