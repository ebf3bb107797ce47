import json

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from serving.cli import app

runner = CliRunner()

GOOD = [{"id": "1", "text": "求链接！！"}, {"id": 2, "text": "这个多少钱", "note": "口红合集"}]
BAD_LINES = ["not json", json.dumps({"id": "", "text": "x"}), json.dumps({"id": "5", "text": "  "}),
             json.dumps({"id": "6", "text": 7}), json.dumps({"text": "no id"}), json.dumps([1, 2]),
             '{"id": "8", "text": "求链接\\udc00"}']


def _score(tiny_model, src, out, *extra):
    return runner.invoke(app, ["score", "--input", str(src), "--output", str(out), "--model", str(tiny_model),
                               "--no-progress", *extra])


def test_score_jsonl_keeps_order_and_rejects_bad_rows(tiny_model, tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [json.dumps(GOOD[0])] + BAD_LINES + [json.dumps(GOOD[1], ensure_ascii=False)]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _score(tiny_model, src, tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in out] == ["1", "2"]
    assert out[0]["model"]["name"] == "tiny"
    rejects = [json.loads(line) for line in (tmp_path / "out.jsonl.rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [2, 3, 4, 5, 6, 7, 8]
    assert rejects[0]["reason"].startswith("bad JSON")
    assert rejects[2]["reason"] == "text: must not be empty"
    assert rejects[6]["reason"] == "text: unpaired surrogate '\\udc00' at position 3 is not valid Unicode"
    assert "scored 2 of 9 rows, rejected 7" in result.output


def test_score_csv_and_parquet(tiny_model, tmp_path):
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("id,text,note\n1,求链接,\n2,,口红\n3,博主好美,穿搭\n", encoding="utf-8")
    assert _score(tiny_model, csv_path, tmp_path / "csv.jsonl").exit_code == 0
    assert [json.loads(x)["id"] for x in (tmp_path / "csv.jsonl").read_text().splitlines()] == ["1", "3"]
    assert json.loads((tmp_path / "csv.jsonl.rejects.jsonl").read_text())["line"] == 3

    pq_path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["求链接", "多少钱"]}), pq_path)
    assert _score(tiny_model, pq_path, tmp_path / "pq.jsonl").exit_code == 0
    assert len((tmp_path / "pq.jsonl").read_text().splitlines()) == 2


def test_unknown_format_and_missing_model_are_one_line_errors(tiny_model, tmp_path):
    (tmp_path / "in.txt").write_text("x")
    result = _score(tiny_model, tmp_path / "in.txt", tmp_path / "o.jsonl")
    assert result.exit_code == 2 and "unknown input format" in result.output
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD[0]) + "\n")
    result = runner.invoke(app, ["score", "-i", str(src), "-o", str(tmp_path / "o.jsonl"), "-m", str(tmp_path)])
    assert result.exit_code == 2 and "not a model folder" in result.output
    assert "Traceback" not in result.output


def test_config_typo_is_reported_before_work(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: linear\nintnet: {C: 1}\n")
    result = runner.invoke(app, ["train", "--config", str(bad)])
    assert result.exit_code == 2 and "intnet" in result.output
