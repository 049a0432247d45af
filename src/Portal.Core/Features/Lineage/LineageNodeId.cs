using Portal.Client;

namespace Portal.Core.Features.Lineage;

/// <summary>A version or a run of the bipartite lineage graph, written <c>version:&lt;guid&gt;</c> or <c>run:&lt;guid&gt;</c>.</summary>
public readonly record struct LineageNodeId(bool IsRun, Guid Id)
{
    public const string VersionPrefix = "version:";
    public const string RunPrefix = "run:";

    public static LineageNodeId Version(Guid id) => new(false, id);

    public static LineageNodeId Run(Guid id) => new(true, id);

    public static LineageNodeId Parse(string? text)
    {
        if (text is not null)
        {
            if (text.StartsWith(VersionPrefix, StringComparison.Ordinal) && Guid.TryParse(text.AsSpan(VersionPrefix.Length), out var version))
                return Version(version);
            if (text.StartsWith(RunPrefix, StringComparison.Ordinal) && Guid.TryParse(text.AsSpan(RunPrefix.Length), out var run))
                return Run(run);
        }

        throw PortalException.BadRequest(ErrorCodes.LineageNodeInvalid,
            $"'{text}' is not a lineage node; write version:<version id> or run:<run id>.");
    }

    public override string ToString() => (IsRun ? RunPrefix : VersionPrefix) + Id.ToString("D");
}

/// <summary>Which way a walk goes: towards what a node was made from (up) or what was made from it (down).</summary>
public enum LineageWalkDirection
{
    Up,
    Down,
}
