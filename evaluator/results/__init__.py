"""The results folder of an evaluation, as code (torch-free): :mod:`.format` writes and reads
``summary.json`` and the tables (the only reader, :func:`read_results`); :mod:`.store` keeps the
aligned predictions under ``OUT/predictions/`` so the analyses can rerun without the model; and
what is made from a results folder: the terminal summary (:mod:`.report`), the figures
(:mod:`.figures`), the HTML and Markdown report (:mod:`.page`, with :mod:`.gallery`,
:mod:`.robustness_section` and :mod:`.html`) and the comparison of several runs (:mod:`.compare`).
Other packages import the names below from here.
"""
from evaluator.results.compare import FORMATS, Comparison, compare_results, to_csv, to_html, to_markdown, write_text
from evaluator.results.figures import FIGURE_NAMES, png_bytes, render_figures, write_figures
from evaluator.results.format import (FIGURES_DIR, REPORT_FILES, SUMMARY_FILE, TABLE_FILES, Results, ResultsError,
                                      read_results, write_results)
from evaluator.results.page import REPORT_HTML, REPORT_MARKDOWN, ReportPage, build_report, write_report
from evaluator.results.report import format_summary
from evaluator.results.store import (INDEX_FILE, KINDS, PREDICTIONS_DIR, PredictionStoreError, PredictionWriter,
                                     StoredPredictions, set_identity)

__all__ = [
    "FORMATS", "Comparison", "compare_results", "to_csv", "to_html", "to_markdown", "write_text",
    "FIGURE_NAMES", "png_bytes", "render_figures", "write_figures",
    "FIGURES_DIR", "REPORT_FILES", "SUMMARY_FILE", "TABLE_FILES", "Results", "ResultsError", "read_results",
    "write_results", "REPORT_HTML", "REPORT_MARKDOWN", "ReportPage", "build_report", "write_report",
    "format_summary", "INDEX_FILE", "KINDS", "PREDICTIONS_DIR", "PredictionStoreError", "PredictionWriter",
    "StoredPredictions", "set_identity",
]
