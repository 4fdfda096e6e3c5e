"""The layouts determination letters were written in, each read by its own module.

A layout module has `recognises(lines)` and `parse(lines, known_words)`; `sections` (the headed
layout of most letters since 2014, with or without a case header, and the late-2013 variant) is
tried last and explains why a text is no letter at all.
"""

from decisions.parsing.layouts import notice_2013, professional_review, sections

LAYOUTS = (notice_2013, professional_review, sections)
