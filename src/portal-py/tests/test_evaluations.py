"""Evaluations logged from Python against a real portal: streamed rows, the run that made them, bad rows."""
from __future__ import annotations

import unittest

import portal
from portal import PortalError

from .support import PortalTestCase


class EvaluationTests(PortalTestCase):
    def publish(self, name: str, type: str, text: str) -> None:
        self.write(f"{name}/file.txt", text.encode())
        art = portal.Artifact(name, type=type)
        art.add_dir(str(self.scratch / name))
        self.api().log_artifact(art)

    def test_a_run_logs_streamed_rows_and_the_portal_computes_the_aggregates(self) -> None:
        self.publish("py-index", "index", "index 0")
        self.publish("py-golden", "eval", "questions 0")

        def rows():  # type: ignore[no-untyped-def]
            for i in range(2000):
                yield {"id": f"q-{i:04d}", "scores": {"recall@5": 1 if i % 4 == 0 else 0, "mrr": 0.5}, "latencyMs": i, "tokens": 3}

        with self.init(job_type="model_evaluation") as run:
            evaluation = run.log_evaluation("py-index:latest", "py-golden:v0", rows(), scorers=["recall@5", "mrr"], name="nightly")
        self.assertEqual(2000, evaluation["exampleCount"])
        self.assertEqual(run.id, evaluation["runId"])
        self.assertEqual(("py-golden", "v0", "py-golden:v0"), (evaluation["evalSet"]["artifact"], evaluation["evalSet"]["version"], evaluation["evalSet"]["spec"]))
        recall = evaluation["scores"][0]
        self.assertEqual(("recall@5", 2000, 0.25), (recall["scorer"], recall["count"], recall["mean"]))
        self.assertEqual((999, 1899, 6000), (evaluation["latencyP50Ms"], evaluation["latencyP95Ms"], evaluation["totalTokens"]))

        # Outside a run, with the scorers read from the rows.
        logged = portal.Api(env=self.env()).log_evaluation("py-index:v0", "py-golden:latest", [{"id": "a", "scores": {"exact": 1}}])
        self.assertEqual(["exact"], [s["scorer"] for s in logged["scores"]])
        self.assertIsNone(logged["runId"])

    def test_a_bad_row_is_refused_naming_its_line(self) -> None:
        self.publish("py-index2", "index", "index 0")
        self.publish("py-golden2", "eval", "questions 0")
        rows = [{"id": "a", "scores": {"acc": 1}}, {"id": "a", "scores": {"acc": 0}}]
        with self.assertRaises(PortalError) as caught:
            self.api().log_evaluation("py-index2:v0", "py-golden2:v0", rows)
        self.assertEqual("evaluation_malformed", caught.exception.code)
        self.assertIn("line 3", str(caught.exception))
        with self.assertRaises(PortalError) as no_scores:
            self.api().log_evaluation("py-index2:v0", "py-golden2:v0", [{"id": "a"}])
        self.assertEqual("invalid_argument", no_scores.exception.code)


if __name__ == "__main__":
    unittest.main()
