using System.CommandLine;

namespace Portal.Cli;

/// <summary>"did you mean 'artifact'?" for a mistyped command or option, from the names valid at that point.</summary>
internal static class CommandSuggestions
{
    /// <summary>The hint to append to a parse error about an unmatched token, or "" when nothing is close.</summary>
    public static string DidYouMean(ParseResult parsed, string errorMessage)
    {
        foreach (var token in parsed.UnmatchedTokens)
        {
            if (!errorMessage.Contains($"'{token}'", StringComparison.Ordinal))
                continue;
            var command = parsed.CommandResult.Command;
            IEnumerable<Symbol> symbols = token.StartsWith('-') ? command.Options : command.Subcommands;
            var best = symbols
                .Where(s => !s.Hidden)
                .SelectMany(s => Names(s).Select(name => (Name: s.Name, Distance: Distance(token, name))))
                .Where(c => c.Distance <= Math.Max(1, token.Length / 3))
                .OrderBy(c => c.Distance)
                .Select(c => c.Name)
                .Distinct()
                .Take(3)
                .ToList();
            if (best.Count > 0)
                return " Did you mean " + string.Join(" or ", best.Select(b => $"'{b}'")) + "?";
        }

        return "";
    }

    private static IEnumerable<string> Names(Symbol symbol) => symbol switch
    {
        Command command => command.Aliases.Prepend(command.Name),
        Option option => option.Aliases.Prepend(option.Name),
        _ => [symbol.Name],
    };

    /// <summary>Levenshtein distance: insertions, deletions and substitutions.</summary>
    internal static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
