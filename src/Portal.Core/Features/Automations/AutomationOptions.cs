using static Portal.Core.ValidatedOptions;

namespace Portal.Core.Features.Automations;

public sealed class AutomationOptions : IValidatedOptions
{
    public const string Section = "Automations";

    /// <summary>
    /// The loop guard: at most this many runs of one rule in any hour; further events give a <c>skipped</c> run, so a
    /// rule whose action sets itself off again (or a flood of commits) cannot run away.
    /// </summary>
    public int MaxRunsPerHour { get; set; } = 20;

    public IEnumerable<string> Problems() => AtLeast("Automations:MaxRunsPerHour", MaxRunsPerHour, 1);
}
