"""``--junit FILE``: a JUnit XML report, one test case per model x configuration x property.

A violated property (or a vacuous witness) is a ``<failure>`` whose text is the rendered
trace; an unknown (incomplete) verdict is ``<skipped>`` with its reason, never a pass.
Test suites are runs (``model/config``); class names are ``ppcheck.MODEL.CONFIG``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .report import RunEntry
from .verdict import HOLDS_TO_DEPTH, UNKNOWN, is_failure


def _trace_text(path: str | None) -> str:
    if not path:
        return ""
    try:
        from .render import render_text
        from .traces import load_trace

        return render_text(load_trace(path))
    except Exception:  # noqa: BLE001 - a report never fails on a trace it cannot render
        return f"(trace {path} could not be rendered)"


def junit_xml(entries: list[RunEntry]) -> str:
    root = ET.Element("testsuites", name="ppcheck")
    tot = fail = skip = 0
    for e in entries:
        run = e.run
        suite = ET.SubElement(root, "testsuite", name=f"{run.model}/{run.config}",
                              tests=str(len(run.results)), time=f"{run.seconds:.3f}")
        props = ET.SubElement(suite, "properties")
        for k, v in (("engine", run.engine), ("complete", str(run.complete).lower()),
                     ("reason", run.reason), ("states", str(run.states)), ("bound", run.bound),
                     ("fingerprint", run.fingerprint)):
            ET.SubElement(props, "property", name=k, value=v)
        nf = ns = 0
        for r in run.results:
            tc = ET.SubElement(suite, "testcase", classname=f"ppcheck.{run.model}.{run.config}",
                               name=r.name + (" (lemma)" if r.name in e.lemmas else ""), time="0")
            if is_failure(r):
                nf += 1
                msg = f"{r.status}: {r.detail}" + (f" ({r.trace_length} steps)" if r.trace_length else "")
                el = ET.SubElement(tc, "failure", message=msg, type=r.status)
                body = _trace_text(r.trace_file)
                if r.trace_file:
                    body = f"trace: {r.trace_file}\n\n{body}"
                el.text = body or r.detail
            elif r.status in (UNKNOWN, HOLDS_TO_DEPTH):
                ns += 1
                ET.SubElement(tc, "skipped", message=f"incomplete ({r.status}): {r.detail or run.reason}")
        suite.set("failures", str(nf))
        suite.set("skipped", str(ns))
        suite.set("errors", "0")
        tot += len(run.results)
        fail += nf
        skip += ns
    root.set("tests", str(tot))
    root.set("failures", str(fail))
    root.set("skipped", str(skip))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
