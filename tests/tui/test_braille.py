"""The braille plots: dots land where the values are, glitches survive reduction, limits are drawn."""

from benchtui.tui.braille import BrailleCanvas, Scale, plot_strip, plot_waveform

FULL = chr(0x28FF)


def test_canvas_sets_the_dots_of_one_cell():
    canvas = BrailleCanvas(1, 1)
    for x in range(2):
        for y in range(4):
            canvas.dot(x, y)
    assert canvas.lines()[0].plain == FULL


def test_canvas_ignores_points_outside():
    canvas = BrailleCanvas(2, 1)
    canvas.dot(-1, 0)
    canvas.dot(4, 0)
    canvas.dot(0, 4)
    assert canvas.lines()[0].plain == "  "


def test_scale_puts_high_values_on_top():
    scale = Scale(0.0, 3.3, 16)
    assert scale.row(3.3) == 0
    assert scale.row(0.0) == 15


def test_one_sample_glitch_survives_reduction_and_is_red():
    volts = [3.3] * 5000
    volts[2500] = 1.0  # a single-sample dip, far below the 3.0 V limit
    text = plot_waveform(volts, 47, 6, lo_limit=3.0)
    lines = text.plain.split("\n")
    assert len(lines) == 6 and all(len(line) == 47 for line in lines)
    bottom = lines[-1][7:]
    assert bottom.strip(), "the dip reaches the bottom row"
    red = [span for span in text.spans if "red" in str(span.style)]
    assert red, "the out-of-limit part is drawn in the bad style"


def test_a_power_up_ramp_is_not_drawn_as_a_violation_but_a_later_dip_is():
    ramp = [0.0] * 200 + [3.3 * i / 100 for i in range(100)] + [3.3] * 700
    red = lambda text: [s for s in text.spans if "red" in str(s.style)]  # noqa: E731
    assert red(plot_waveform(ramp, 47, 6, lo_limit=3.0)), "without ramp=, below the min is red"
    assert not red(plot_waveform(ramp, 47, 6, lo_limit=3.0, ramp=True)), "the rise is not a fault"
    dipped = ramp[:800] + [2.5] * 20 + ramp[820:]
    assert red(plot_waveform(dipped, 47, 6, lo_limit=3.0, ramp=True)), "a dip once up is"


def test_limits_are_labelled_in_the_gutter():
    text = plot_waveform([1.2] * 100, 40, 8, lo_limit=1.1, hi_limit=1.4).plain
    assert "1.1┤" in text and "1.4┤" in text


def test_strip_draws_failures_and_threshold():
    points = [(1.25, False)] * 10 + [(1.02, True)] * 5
    text = plot_strip(points, 40, 6, threshold=1.10)
    assert "1.1┤" in text.plain
    assert any("red" in str(span.style) for span in text.spans)
    assert any("green" in str(span.style) for span in text.spans)
