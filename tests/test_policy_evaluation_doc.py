"""docs/policy-evaluation.md: every citation of it in the code names one of its sections."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "policy-evaluation.md"
CITATION = re.compile(r'docs/policy-evaluation\.md, "([^"]+)"')
CITING = ("iamconsole", "identities", "policies", "benchmarks", "tests")


def _sources():
    for folder in CITING:
        yield from (ROOT / folder).rglob("*.py")


def _sections() -> set[str]:
    return {line[3:].strip() for line in DOC.read_text().splitlines() if line.startswith("## ")}


def test_every_citation_names_a_section_of_the_page():
    cited = {}
    for path in _sources():
        # a docstring may wrap a section name over two lines
        text = re.sub(r"\s+", " ", path.read_text())
        for name in CITATION.findall(text):
            cited.setdefault(name, []).append(path.relative_to(ROOT).as_posix())
    assert {"Evaluation order", "Trust policies", "Guardrails", "Quotas"} <= set(cited)
    unknown = {name: paths for name, paths in cited.items() if name not in _sections()}
    assert unknown == {}


def test_nothing_cites_the_guide_outside_the_repository():
    here = pathlib.Path(__file__).resolve()
    citing = [path for path in _sources() if path != here and "IAM-RULES" in path.read_text()]
    assert citing == []


def test_every_rule_section_names_an_aws_page():
    own = {"When something is wrong", "Simulation cases", "Deliberate deviations"}
    sections = {part.splitlines()[0]: part for part in re.split(r"^## ", DOC.read_text(), flags=re.M)[1:]}
    without = [name for name, body in sections.items() if name not in own and "https://docs.aws" not in body]
    assert without == []
