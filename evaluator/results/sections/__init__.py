"""The report's cue sections, one module per cue experiment, each with one function
``section(results) -> CueSection | None`` registered in
:data:`evaluator.results.cue_sections.CUE_SECTIONS` (see that module)."""
