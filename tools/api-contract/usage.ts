// Code written against the client that openapi-typescript generates from /openapi/v1.json (as portal-api.ts).
// ApiContractTests compiles it with `tsc --strict`: a field renamed, retyped or dropped in the API breaks it.
import type { components, paths } from "./portal-api";

type Version = components["schemas"]["ArtifactVersionResponse"];
type Problem = components["schemas"]["ProblemDetails"];
type Run = components["schemas"]["RunResponse"];
type LineageNode = components["schemas"]["LineageNodeResponse"];
type Delivery = components["schemas"]["WebhookDeliveryResponse"];

export function describeVersion(version: Version): string {
  const index: number = version.index;
  const label = `v${index}`;
  return `${version.artifactName} ${label} (${version.manifestDigest}, ${version.fileCount} files, ${version.totalSize} bytes)`;
}

export function isFinished(run: Run): boolean {
  switch (run.status) {
    case "running":
      return false;
    case "finished":
    case "failed":
    case "crashed":
    case "killed":
      return true;
  }
}

// Every case of a closed set is handled; a value added to (or a string instead of) the enum fails to compile.
export function nodeShape(node: LineageNode): string {
  switch (node.kind) {
    case "version":
      return "round-rectangle";
    case "run":
      return "cut-rectangle";
    case "cluster":
      return "dashed";
    default: {
      const unknown: never = node.kind;
      return unknown;
    }
  }
}

export function deliveryDone(delivery: Delivery): boolean {
  const state: "pending" | "succeeded" | "failed" = delivery.state;
  return state !== "pending";
}

export function ingestionStatusOf(problem: Problem): string | undefined {
  // The ingestion's own status is a string beside the problem's integer HTTP status.
  const http: number | null | undefined = problem.status;
  return http === 409 ? problem.ingestionStatus ?? undefined : undefined;
}

export function nextStep(problem: Problem): string {
  switch (problem.code) {
    case "unauthorized":
      return "Create an API token under Settings → API tokens.";
    case "digest_mismatch":
      return "Upload the blob again; its bytes did not match the digest.";
    case "alias_protected":
      return "Request a promotion instead of moving the alias.";
    default:
      return problem.detail ?? problem.title ?? "Something went wrong.";
  }
}

type ListVersions = paths["/api/v1/projects/{slug}/artifacts/{name}/versions"]["get"];
export const firstPage: ListVersions["parameters"]["path"] = { slug: "demo", name: "dataset" };
export const pageSize: NonNullable<ListVersions["parameters"]["query"]>["limit"] = 50;
