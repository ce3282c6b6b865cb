"""The dashboard's decisions chart, laid out on the server for an inline SVG.

The page's Content-Security-Policy refuses inline styles and scripts, so the chart is
plain shapes with classes (console.css colours them from the theme's variables) and
numbers computed here; the template only writes them out. The same days fill the
table behind the chart for screen readers.
"""

from dataclasses import dataclass

from identities.audit import DECISION_OUTCOMES, DecisionDay

# The SVG's own coordinates; the page scales the whole drawing to its width.
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 12, 28
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
BAR_SHARE = 0.7  # of each day's slot; the rest is the gap between bars
LABEL_EVERY = 7  # days between the dates under the bars, counted back from today

OUTCOME_NAMES = {"Allow": "allowed", "ExplicitDeny": "explicitly denied", "ImplicitDeny": "implicitly denied"}
OUTCOME_CLASSES = {"Allow": "chart-allow", "ExplicitDeny": "chart-explicit-deny", "ImplicitDeny": "chart-implicit-deny"}


@dataclass(frozen=True)
class Segment:
    """One outcome's part of one day's bar."""

    outcome: str
    name: str
    css_class: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Column:
    day: DecisionDay
    segments: list[Segment]
    label_x: float
    label_anchor: str  # the last bar's date ends at its right edge, inside the drawing
    labelled: bool  # its date is written under the bar

    @property
    def label(self) -> str:
        """The day under its bar, short ("Dec 4"): a day of the axis, not a moment."""
        day = self.day.day
        return f"{day:%b} {day.day}"


@dataclass(frozen=True)
class GridLine:
    value: int
    y: float


@dataclass(frozen=True)
class Total:
    outcome: str
    name: str
    css_class: str
    count: int


@dataclass(frozen=True)
class DecisionChart:
    days: list[DecisionDay]
    columns: list[Column]
    grid: list[GridLine]
    totals: list[Total]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = TOP + PLOT_HEIGHT
    right: int = WIDTH - RIGHT

    @property
    def total(self) -> int:
        return sum(total.count for total in self.totals)

    @property
    def first_day(self):
        return self.days[0].day

    @property
    def last_day(self):
        return self.days[-1].day


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2 or 5 times a power of ten that is at least `value` (1 for nothing)."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def decisions_chart(days: list[DecisionDay]) -> DecisionChart:
    """Stacked bars of each day's outcomes, oldest on the left, on a scale that ends at a round number."""
    top = nice_ceiling(max((day.total for day in days), default=0))
    slot = PLOT_WIDTH / len(days)
    columns = [_column(day, index, slot, top, back=len(days) - 1 - index) for index, day in enumerate(days)]
    values = [0, top // 2, top] if top % 2 == 0 else [0, top]
    grid = [GridLine(value, _y(value, top)) for value in values]
    totals = [
        Total(outcome, OUTCOME_NAMES[outcome], OUTCOME_CLASSES[outcome], sum(day.counts[outcome] for day in days))
        for outcome in DECISION_OUTCOMES
    ]
    return DecisionChart(days=days, columns=columns, grid=grid, totals=totals)


def _column(day: DecisionDay, index: int, slot: float, top: int, *, back: int) -> Column:
    """The bar of the day `back` days before the last one."""
    width = slot * BAR_SHARE
    x = LEFT + index * slot + (slot - width) / 2
    segments, below = [], 0
    for outcome in DECISION_OUTCOMES:
        count = day.counts[outcome]
        if count:
            y = _y(below + count, top)
            height = _y(below, top) - y
            name, css_class = OUTCOME_NAMES[outcome], OUTCOME_CLASSES[outcome]
            segments.append(Segment(outcome, name, css_class, count, round(x, 1), y, round(width, 1), round(height, 1)))
            below += count
    label_x = round(x + width if back == 0 else x + width / 2, 1)
    return Column(day, segments, label_x, "end" if back == 0 else "middle", labelled=back % LABEL_EVERY == 0)


def _y(value: int, top: int) -> float:
    return round(TOP + PLOT_HEIGHT * (1 - value / top), 1)
