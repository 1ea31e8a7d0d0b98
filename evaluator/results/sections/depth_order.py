"""The report's depth-order section (summary key ``depth_order``, analysis
evaluator/analyses/depth_order.py): the verdict, a table of ordering accuracy and bleeding per
condition and overlap level, and a figure of ordering accuracy against overlap for the two
conditions (Wilson intervals as error bars)."""
from __future__ import annotations

from evaluator.analyses.intervals import format_estimate, format_number
from evaluator.results.cue_sections import CueSection
from evaluator.results.figures import new_figure

TITLE = "Depth order (interposition)"
DEFINITIONS = (
    "Two cars: A (near) and B (far) whose images overlap; consistent = A drawn over B (the physical order), "
    "reversed = B drawn over A (same scene, light and shadows; only the T-junctions reverse). Ordering accuracy "
    "= share of pairs with estimate A < estimate B, Wilson 95 % intervals; the drop from consistent to reversed "
    "(pairs with overlap > 0) is a bootstrap over pairs. Drawn-in-front coefficient: change of log(estimate B / "
    "estimate A) when A is drawn in front, OLS with HC3 intervals, controlling for the true log ratio, contact "
    "rows and sizes. Bleeding: log(estimate B / estimate B in the frame with B alone) (< 0: B pulled nearer), "
    "bootstrap over the B-alone frames. Each object is estimated on the pixels it shows in both frames of its pair "
    "(and B alone), so only the drawing order differs. Overlap: requested (actual, from the masks).")
COLUMNS = ("condition", "overlap requested (actual)", "ordering accuracy", "bleeding (log)", "n")
CONDITION_COLOURS = {"consistent": "tab:blue", "reversed": "tab:red"}
#: Horizontal shift of each condition's points (overlap units), so equal values stay visible side by side.
DODGE = {"consistent": -0.006, "reversed": 0.006}


def _cell(row, prefix: str) -> str:
    return format_estimate({k: row[f"{prefix}_{k}"] for k in ("value", "ci_low", "ci_high")})


def _figure(cells):
    figure, (accuracy, bleeding) = new_figure(2)
    for condition, colour in CONDITION_COLOURS.items():
        part = cells[cells["condition"] == condition]
        for axes, prefix in ((accuracy, "accuracy"), (bleeding, "bleeding")):
            value = part[f"{prefix}_value"].to_numpy(float)
            errors = [value - part[f"{prefix}_ci_low"].to_numpy(float), part[f"{prefix}_ci_high"].to_numpy(float) - value]
            axes.errorbar(part["overlap"] + DODGE[condition], value, yerr=errors, color=colour, marker="o", capsize=3, label=condition)
    accuracy.axhline(0.5, color="0.6", linestyle=":", linewidth=1)
    bleeding.axhline(0.0, color="0.6", linestyle=":", linewidth=1)
    accuracy.set_ylim(-0.05, 1.05)
    accuracy.set_ylabel("ordering accuracy P(A < B)")
    bleeding.set_ylabel("bleeding: log(B / B alone)")
    for axes in (accuracy, bleeding):
        axes.set_xlabel("overlap requested (share of B hidden by A)")
        axes.legend(loc="lower left", fontsize="small")
    return figure


def section(results) -> CueSection | None:
    """The depth-order section, or None when the results have no depth-order analysis."""
    entry = results.summary.get("depth_order")
    cells = results.table("depth_order_cells")
    if not entry or cells is None or not len(cells):
        return None
    rows = tuple((str(row["condition"]), f"{format_number(row['overlap'])} ({format_number(row['overlap_actual'])})",
                  _cell(row, "accuracy"), _cell(row, "bleeding"), str(int(row["n_pairs"])))
                 for _, row in cells.iterrows())
    rows += (("drawn-in-front coefficient", "all", format_estimate(entry["front_coefficient"]), "",
              str(entry["front_coefficient"].get("n_frames", ""))),)
    return CueSection("depth_order", TITLE, entry["verdict_text"], DEFINITIONS, COLUMNS, rows, _figure(cells),
                      "Ordering accuracy (left, Wilson 95 % intervals; dotted: chance) and bleeding of B (right, "
                      "bootstrap 95 % intervals) against overlap, consistent (blue) and reversed (red) occlusion.")
