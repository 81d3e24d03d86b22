"""benchmarks/stories.py: pairwise scoring, and a run on a tiny invented set."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from monitor.statements import SpeakerList

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "stories.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stories_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_pairwise_precision_and_recall() -> None:
    bench = _module()
    gold = {"a": "s1", "b": "s1", "c": "s1", "d": "s2"}
    scores = bench.pairwise(gold, {"a": 1, "b": 1, "c": None, "d": 1})
    # predicted same: ab, ad, bd (ab right); gold same: ab, ac, bc
    assert scores["precision"] == 1 / 3
    assert scores["recall"] == 1 / 3
    assert bench.pairwise(gold, {"a": None, "b": None, "c": None, "d": None})["recall"] == 0.0


def test_same_person_allows_a_part_of_the_name() -> None:
    bench = _module()
    assert bench.same_person("Ilse Varga", "Ilse Varga")
    assert bench.same_person("Varga", "Ilse Maria Varga")
    assert not bench.same_person("Mr Varga", "Ilse Varga")


ARTICLES = {
    "001.txt": (
        "2031-04-02",
        "Harbour fees",
        '"The harbour fees will double from next spring for every cargo ship," Ilse Varga said.',
    ),
    "002.txt": (
        "2031-04-02",
        "Fees to double",
        'Ilse Varga said: "The harbour fees will double from next spring for every cargo ship."',
    ),
    "003.txt": (
        "2031-04-02",
        "Union answers",
        '"We will strike before any cargo ship pays double fees," Tomas Lind said.',
    ),
}


def test_run_on_an_invented_set(tmp_path: Path) -> None:
    bench = _module()
    labels = ["articles:"]
    for name, (day, title, body) in ARTICLES.items():
        (tmp_path / name).write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        speaker, story = (
            ("Tomas Lind", "lind-strike") if name == "003.txt" else ("Ilse Varga", "varga-fees")
        )
        labels += [
            f"- file: {name}",
            f"  published: '{day}'",
            f"  statements: [{{story: {story}, speaker: {speaker}, occasion: x}}]",
        ]
    (tmp_path / "labels.yaml").write_text("\n".join(labels) + "\n", encoding="utf-8")
    articles = bench.load_set(tmp_path, tmp_path / "labels.yaml")
    result = bench.run(articles, SpeakerList([]), orders=3)
    assert result["publication_order"]["precision"] == 1.0
    assert result["publication_order"]["recall"] == 1.0
    assert result["random_orders"]["recall_min"] == 1.0
    assert result["no_statements"] == []
    assert result["gold_speaker_missing"] == []
    assert "3 articles" in bench.report(result, verbose=True)
