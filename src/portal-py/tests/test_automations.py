"""Automation rules managed from Python against a real portal: add, list, runs, refusals, remove."""
from __future__ import annotations

import unittest

from portal import PortalError

from .support import PortalTestCase


class AutomationTests(PortalTestCase):
    def test_a_rule_is_added_listed_and_removed(self) -> None:
        api = self.admin_api(project=self.project)
        created = api.add_automation("compare datasets", "version.committed", "compare", artifact_type="dataset")
        rule = created["rule"]
        self.assertIsNone(created["secret"])
        self.assertEqual(("project", "version.committed", "dataset", "compare"), (rule["scope"], rule["trigger"], rule["artifactType"], rule["action"]))

        listed = api.automations()
        self.assertEqual([rule["id"]], [r["id"] for r in listed])
        self.assertIsNone(listed[0]["lastRun"])
        self.assertEqual([], api.automation_runs(rule["id"], limit=10))

        evaluation = api.add_automation("evaluate", "alias.moved", "evaluation_request", alias="production", url="https://eval.example.test/requests")
        self.assertTrue(evaluation["secret"].startswith("whsec_"))
        self.assertEqual("production", evaluation["rule"]["alias"])

        with self.assertRaises(PortalError) as invalid:
            api.add_automation("x", "version.deleted", "compare")
        self.assertEqual("automation_invalid", invalid.exception.code)

        api.remove_automation(rule["id"])
        api.remove_automation(evaluation["rule"]["id"])
        self.assertEqual([], api.automations())
        with self.assertRaises(PortalError) as gone:
            api.automation_runs(rule["id"])
        self.assertEqual("automation_not_found", gone.exception.code)


if __name__ == "__main__":
    unittest.main()
