using CsCheck;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Portal.TestCommon;

/// <summary>
/// Runs a CsCheck generator for a fixed number of cases from one seed, so every run (and CI) checks the same inputs.
/// <c>PORTAL_PROPERTY_SEED</c> replaces the default seed: a number, or the seed a failing run printed for its case
/// (which is then the first case generated). A failure is handed to CsCheck to shrink, and both the case's seed and
/// CsCheck's report go into the test's message and output.
/// </summary>
public static class SeededProperty
{
    public const string SeedVariable = "PORTAL_PROPERTY_SEED";
    private const string DefaultSeed = "20261116";

    public static string Seed { get; } = Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } seed ? seed.Trim() : DefaultSeed;

    public static void Check<T>(Gen<T> gen, int cases, Action<T> assert, ITestOutputHelper? output = null) =>
        CheckAsync(gen, cases, value =>
        {
            assert(value);
            return Task.CompletedTask;
        }, output).GetAwaiter().GetResult();

    /// <summary>The same for an assertion that awaits (a database, a server); failures are reported without shrinking.</summary>
    public static async Task CheckAsync<T>(Gen<T> gen, int cases, Func<T, Task> assert, ITestOutputHelper? output = null, bool shrink = true)
    {
        var pcg = ulong.TryParse(Seed, out var number) ? new PCG(1, number) : PCG.Parse(Seed);
        for (var i = 0; i < cases; i++)
        {
            var state = pcg.State;
            var value = gen.Generate(pcg, null, out _);
            try
            {
                await assert(value);
            }
            catch (Exception ex)
            {
                var caseSeed = pcg.ToString(state);
                var message = $"Property failed on case {i + 1} of {cases} from seed {Seed}: {ex.GetType().Name}: {ex.Message}\n"
                    + $"Re-run this case first with {SeedVariable}={caseSeed}\nInput: {Print(value)}";
                output?.WriteLine(message);
                var shrunk = shrink ? Shrink(gen, v => assert(v).GetAwaiter().GetResult(), caseSeed) : null;
                if (shrunk is not null)
                    output?.WriteLine(shrunk);
                throw new XunitException(message + (shrunk is null ? "" : "\n" + shrunk), ex);
            }
        }

        output?.WriteLine($"{cases} cases passed from seed {Seed} (set {SeedVariable} to change it).");
    }

    /// <summary>CsCheck's own search for a smaller failing input, starting from the failing case; its report names its seed.</summary>
    private static string? Shrink<T>(Gen<T> gen, Action<T> assert, string caseSeed)
    {
        try
        {
            gen.Sample(assert, seed: caseSeed, iter: 300, threads: 1, print: Print<T>);
            return null;
        }
        catch (CsCheckException ex)
        {
            return "CsCheck: " + ex.Message;
        }
    }

    public static string Print<T>(T value)
    {
        var text = value switch
        {
            string s => Escape(s),
            byte[] bytes => $"{bytes.Length} bytes: {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 600)))}",
            _ => CsCheck.Check.Print(value),
        };
        return text.Length <= 1200 ? text : text[..1200] + $"… ({text.Length:N0} characters)";
    }

    private static string Escape(string s)
    {
        var shown = s.Length <= 600 ? s : s[..600];
        var escaped = string.Concat(shown.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString()));
        return $"\"{escaped}\" ({s.Length:N0} chars)";
    }
}
